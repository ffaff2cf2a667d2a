import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { waitUntilReady } from '../../test/support/child-server.js';

/** The repository's root. */
const REPOSITORY_ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * Where the server runs from: the production assembly the Docker image is made of
 * (`scripts/package-runtime.sh`, which `npm run test:chaos` runs into CHAOS_RUNTIME_DIR), else
 * the repository's own build.
 */
export const RUNTIME_DIR = process.env.CHAOS_RUNTIME_DIR
  ? resolve(REPOSITORY_ROOT, process.env.CHAOS_RUNTIME_DIR)
  : REPOSITORY_ROOT;

/** One JSON log line of the server (pino). */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** How many of the latest log lines are kept, to print when a test fails. */
const KEPT_LINES = 200;

/**
 * Rate limits out of the way: the test's one client, from one IP address, stands for the
 * browsers of many visitors.
 */
export const MANY_VISITORS: Readonly<Record<string, string>> = {
  RATE_LIMIT_PER_IP: '1000000',
  RATE_LIMIT_PER_TOKEN: '1000000',
};

/** What the server logs at its first start on an empty database: the project it created. */
export interface FirstProject {
  readonly projectId: string;
  readonly projectToken: string;
  readonly apiKey: string;
}

/**
 * The server as production starts it: `node server/dist/main.js` (built by `npm run build`)
 * from the production assembly (see RUNTIME_DIR), in a child process, configured by environment
 * variables only.
 * Its JSON log (stdout) is read line by line; stderr goes to the test's.
 */
export class ProductionServer {
  private readonly lines: LogLine[] = [];
  private readonly waiters = new Set<{ test: (line: LogLine) => boolean; done: () => void }>();
  /** Resolves with the exit code (or the signal's name) when the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'SIGKILL')),
    );
    // Always drained: a full stdout pipe would block the server.
    const reader = createInterface({ input: child.stdout! });
    reader.on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      this.lines.push(line);
      if (this.lines.length > KEPT_LINES) this.lines.shift();
      for (const waiter of this.waiters) {
        if (waiter.test(line)) {
          this.waiters.delete(waiter);
          waiter.done();
        }
      }
    });
  }

  /**
   * Starts the built server on `port` with `env` added to a minimal environment (no
   * `DATABASE_URL` unless given: the embedded database otherwise), and waits until `/readyz`
   * answers 200.
   * @throws Error when it exits first or is not ready within `readyTimeoutMs`.
   */
  static async start(
    port: number,
    env: Record<string, string>,
    readyTimeoutMs = 60_000,
  ): Promise<ProductionServer> {
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const child = spawn(process.execPath, [join('server', 'dist', 'main.js')], {
      cwd: RUNTIME_DIR,
      env: {
        ...inherited,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const server = new ProductionServer(child, port);
    try {
      await waitUntilReady(child, port, readyTimeoutMs);
    } catch (error) {
      process.stderr.write(server.recentLog());
      throw error;
    }
    return server;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether the process still runs. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first log line (kept or still to come) that `test` accepts; rejects after `timeoutMs`. */
  async waitForLog(test: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const kept = this.lines.find(test);
    if (kept) return kept;
    return new Promise((resolve, reject) => {
      let found: LogLine | undefined;
      const waiter = {
        test: (line: LogLine) => {
          if (!test(line)) return false;
          found = line;
          return true;
        },
        done: () => {
          clearTimeout(timer);
          resolve(found!);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error('the expected log line did not come'));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The project the server created at its first start (logged once, with its secret key). */
  async firstProject(): Promise<FirstProject> {
    const line = await this.waitForLog((l) => typeof l.projectToken === 'string');
    return {
      projectId: String(line.projectId),
      projectToken: String(line.projectToken),
      apiKey: String(line.apiKey),
    };
  }

  /** Log lines at error level or above (pino: 50 and more) among those kept. */
  errors(): LogLine[] {
    return this.lines.filter((l) => (l.level ?? 0) >= 50);
  }

  /** The latest log lines, as text, for a failure's report. */
  recentLog(): string {
    return `${this.lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
  }

  /** Sends `signal` and waits for the process to exit; returns its exit code or signal. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | NodeJS.Signals> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** The server's metrics (`GET /metrics`), as metric line (name with labels) to value. */
  async metrics(): Promise<Map<string, number>> {
    const response = await fetch(`${this.url}/metrics`);
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    return parseMetrics(await response.text());
  }

  /** Resident memory of the server process, in bytes, as `/metrics` reports it. */
  async residentMemory(): Promise<number> {
    const rss = (await this.metrics()).get('vibariant_process_resident_memory_bytes');
    if (rss === undefined)
      throw new Error('no vibariant_process_resident_memory_bytes in /metrics');
    return rss;
  }
}

/** Prometheus' text format: `name{labels} value` lines, comments skipped. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const cut = line.lastIndexOf(' ');
    values.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return values;
}

/** Megabytes, rounded, for the printed figures. */
export const megabytes = (bytes: number): number => Math.round(bytes / 1_048_576);
