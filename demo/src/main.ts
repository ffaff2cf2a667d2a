/**
 * `npm run demo -- [options]`: the server on its own demo database, a demo project whose true
 * conversion rates are known, and simulated visitors through the SDK, with a status line every
 * few seconds. Ctrl-C stops the visitors, then the server.
 */
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runDemo } from './run-demo.js';
import { repositoryRoot } from './server-process.js';

const USAGE = `Usage: npm run demo -- [options]

Starts the server (node server/dist/main.js) on its own database, makes a demo project with
four experiments whose true conversion rates are known (once: a later run reuses them), and
sends simulated visitors through @vibariant/sdk. Open the printed link to watch the dashboard.

Options:
  --rate <n>             visitors per second (default 20)
  --duration <seconds>   stop after this long (default: until Ctrl-C)
  --port <n>             the server's port (default: PORT, else 4000)
  --seed <n>             seed of the visitors' conversions and engagement (default: random)
  --data-dir <dir>       the demo's embedded database (default ./.vibariant/demo; unused for
                         the data when DATABASE_URL is set, which the demo then uses)
  --bandit-interval <s>  least seconds between two moves of a bandit's allocation
                         (default 15; the server's own default is 60)
  -h, --help             show this help
`;

/**
 * The options from the command line.
 * @throws Error naming the option that is unknown or out of range.
 */
function parse(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      rate: { type: 'string', default: '20' },
      duration: { type: 'string' },
      port: { type: 'string', default: process.env.PORT ?? '4000' },
      seed: { type: 'string' },
      'data-dir': { type: 'string', default: './.vibariant/demo' },
      'bandit-interval': { type: 'string', default: '15' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const number = (name: string, text: string, ok: (n: number) => boolean, rule: string) => {
    const n = Number(text);
    if (text.trim() === '' || !ok(n)) throw new Error(`--${name} must be ${rule}, got '${text}'`);
    return n;
  };
  return {
    help: values.help === true,
    rate: number('rate', values.rate, (n) => n > 0 && n <= 10_000, 'a number in (0, 10000]'),
    durationSeconds:
      values.duration === undefined
        ? undefined
        : number('duration', values.duration, (n) => n > 0, 'a positive number of seconds'),
    port: number(
      'port',
      values.port,
      (n) => Number.isInteger(n) && n > 0 && n < 65_536,
      'a port number',
    ),
    seed:
      values.seed === undefined
        ? randomInt(1_000_000)
        : number('seed', values.seed, Number.isSafeInteger, 'an integer'),
    // Relative to where npm was run, as the server's own data directory.
    dataDir: resolve(process.env.INIT_CWD ?? process.cwd(), values['data-dir']),
    banditIntervalSeconds: number(
      'bandit-interval',
      values['bandit-interval'],
      (n) => Number.isInteger(n) && n > 0,
      'a positive whole number of seconds',
    ),
  };
}

let options: ReturnType<typeof parse>;
try {
  options = parse(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const controller = new AbortController();
const interrupt = () => {
  if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: at once
  if (!stdoutClosed) process.stdout.write('\nStopping the visitors…\n');
  controller.abort();
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);
// Output piped into a reader that stops early (`| head`): stop the demo as on Ctrl-C.
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutClosed = true;
  controller.abort();
});

try {
  await runDemo({
    ...options,
    root: repositoryRoot(import.meta.dirname),
    host: process.env.HOST ?? '127.0.0.1',
    databaseUrl: process.env.DATABASE_URL,
    runId: `demo-${Date.now().toString(36)}`,
    print: (line) => {
      if (!stdoutClosed) process.stdout.write(`${line}\n`);
    },
    signal: controller.signal,
  });
  process.exit(0);
} catch (err) {
  process.stderr.write(`demo: ${(err as Error).message}\n`);
  process.exit(1);
}
