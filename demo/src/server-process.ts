/**
 * The production server (`node server/dist/main.js`, what `npm start` runs) in a child process,
 * and its command line (`server/dist/vibariant.js`). A child process rather than the server's
 * code in this process: the demo then runs exactly what a user deploys, depends on nothing but
 * the SDK, and reads what the server tells a person from its log, as they would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** A line of the server's JSON log (pino): `msg`, `level` (30 info, 40 warn, 50 error) and more. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** Where the server keeps its data, and how it is reached. */
export interface ServerSettings {
  /** The repository (holding `server/dist`). */
  readonly root: string;
  readonly host: string;
  readonly port: number;
  /** PostgreSQL connection string; unset: the embedded PGlite in `dataDir`. */
  readonly databaseUrl?: string | undefined;
  /** PGlite's data directory (absolute), also where the session key is kept. */
  readonly dataDir: string;
  /** Least time between two moves of a bandit's allocation, in seconds. */
  readonly banditIntervalSeconds: number;
}

/** A running server. */
export interface ServerProcess {
  /** Its origin, such as `http://127.0.0.1:4000`. */
  readonly url: string;
  /** The first owner's sign-in link, when the server printed one (nobody has signed in yet). */
  readonly signInLink: string | undefined;
  /** Resolves with the exit code (null when ended by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Asks the server to stop (SIGTERM: it finishes requests in flight) and waits for it. */
  stop(): Promise<number | null>;
}

/**
 * The repository root above `from`: the nearest folder with `server/package.json`.
 * @throws Error when there is none.
 */
export function repositoryRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'server', 'package.json'))) return dir;
  }
  throw new Error(`no Vibariant repository above ${from}`);
}

/** The environment of the server and its command line under `settings`. */
export function serverEnvironment(
  settings: ServerSettings,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    HOST: settings.host,
    PORT: String(settings.port),
    VIBARIANT_DATA_DIR: settings.dataDir,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    BANDIT_INTERVAL_SECONDS: String(settings.banditIntervalSeconds),
    // Every simulated visitor comes from this machine's address: the per-IP limit (600 a
    // minute) is for real visitors, each on their own.
    RATE_LIMIT_PER_IP: base.RATE_LIMIT_PER_IP ?? '1000000',
    RATE_LIMIT_PER_TOKEN: base.RATE_LIMIT_PER_TOKEN ?? '1000000',
  };
  // The server's PUBLIC_URL would point its links elsewhere than where the demo listens.
  delete env.PUBLIC_URL;
  if (settings.databaseUrl) env.DATABASE_URL = settings.databaseUrl;
  else delete env.DATABASE_URL;
  return env;
}

/**
 * Starts the server and resolves once it listens, with its sign-in link when it printed one.
 * Every log line goes to `onLog` (the first owner's link too).
 * The server is killed if this process exits without stopping it (see `stop`).
 * @throws Error when `server/dist/main.js` is missing (run `npm run build`), when the port is
 *   in use, or when the server exits before it listens (with the last lines of its error
 *   output: a data directory another process holds, say), or does not listen within 60 s.
 */
export async function startServer(
  settings: ServerSettings,
  onLog: (line: LogLine) => void = () => {},
): Promise<ServerProcess> {
  const main = join(settings.root, 'server', 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const child = spawn(process.execPath, ['--enable-source-maps', main], {
    cwd: settings.root,
    env: serverEnvironment(settings),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Whatever ends this process abruptly, the server does not outlive it. Killed, not asked:
  // once nobody reads its log, its graceful shutdown cannot finish (its log writes fail), and
  // the embedded database recovers from its write-ahead log at the next start.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      process.off('exit', killChild);
      resolve(code);
    });
  });
  let errorOutput = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    errorOutput = (errorOutput + chunk).slice(-4000);
  });

  let url: string | undefined;
  let signInLink: string | undefined;
  let listening: () => void = () => {};
  const listens = new Promise<void>((resolve) => {
    listening = resolve;
  });
  let linked: () => void = () => {};
  const linkPrinted = new Promise<void>((resolve) => {
    linked = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return; // not a log line
    }
    if (typeof line.signInLink === 'string') {
      signInLink = line.signInLink;
      linked();
    }
    if (url === undefined && typeof line.url === 'string' && /is running at/.test(line.msg)) {
      url = line.url;
      listening();
    }
    onLog(line);
  });

  const timeout = new Promise<'timeout'>((resolve) => {
    setTimeout(() => resolve('timeout'), 60_000).unref();
  });
  const outcome = await Promise.race([listens.then(() => 'ok' as const), exited, timeout]);
  if (outcome !== 'ok') {
    child.kill('SIGKILL');
    if (/EADDRINUSE/.test(errorOutput)) {
      throw new Error(
        `port ${settings.port} of ${settings.host} is in use (another server, npm start?): choose another with --port`,
      );
    }
    const why = outcome === 'timeout' ? 'did not start within 60 s' : `exited (code ${outcome})`;
    throw new Error(`the server ${why}${errorOutput ? `:\n${errorOutput.trimEnd()}` : ''}`);
  }
  // The link is logged right after the server listens, when it is logged at all.
  await Promise.race([linkPrinted, new Promise((resolve) => setTimeout(resolve, 500))]);
  return {
    url: url as string,
    signInLink,
    exited,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(killer);
  return code;
}

/**
 * Runs the server's command line (`npm run vibariant -- <args>`, built) with the server's
 * environment and resolves with what it printed on stdout.
 * @throws Error with its error output when it exits with another code than 0.
 */
export async function runServerCli(settings: ServerSettings, args: string[]): Promise<string> {
  const cli = join(settings.root, 'server', 'dist', 'vibariant.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: settings.root,
    env: serverEnvironment(settings),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    throw new Error(`vibariant ${args.join(' ')} failed (${code}): ${stderr.trim()}`);
  }
  return stdout;
}
