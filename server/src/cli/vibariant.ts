/**
 * Entry point of `npm run vibariant -- <command>` (see `run-cli.ts` for the commands). Output
 * goes to stdout, errors and logs to stderr; the exit code is set rather than forced, so pending
 * writes are flushed (only a closed stdout pipe ends the process at once).
 */
import { runCli } from './run-cli.js';

// Output piped into a reader that stops early (`| head`): stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
