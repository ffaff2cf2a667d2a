import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../test/support/child-server.js';

const run = promisify(execFile);

/** Where Debian installs PostgreSQL 15's server binaries (`postgresql-15`). */
export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/** Whether the binaries a private PostgreSQL needs are installed. */
export const postgresInstalled = (): boolean =>
  existsSync(join(POSTGRES_BIN, 'initdb')) && existsSync(join(POSTGRES_BIN, 'pg_ctl'));

/**
 * The user the binaries run as: PostgreSQL refuses to run as root, so as root they run as the
 * `postgres` account (or `nobody`), which then owns the cluster's directory.
 */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const accounts = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const fields = accounts.find((line) => line.startsWith(`${name}:`))?.split(':');
    if (fields) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new Error('running as root, and there is no postgres or nobody account to run as');
}

/**
 * A PostgreSQL cluster of a test's own: `initdb` in a temporary directory, trust
 * authentication, listening on 127.0.0.1 only on a free port (no Unix socket outside its
 * directory). Never the machine's main cluster.
 */
export class PrivatePostgres {
  private constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  /** Creates the cluster (`initdb`) and starts it. */
  static async create(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'vibariant-chaos-pg-'));
    const user = serverUser();
    if (user) chownSync(dir, user.uid, user.gid);
    const cluster = new PrivatePostgres(dir, await freePort(), user);
    await cluster.exec('initdb', [
      '--pgdata',
      cluster.dataDir,
      '--username',
      'postgres',
      '--auth',
      'trust',
      '--encoding',
      'UTF8',
      '--no-sync',
    ]);
    await cluster.start();
    return cluster;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** The cluster's `postgres` database, as the superuser. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async exec(binary: string, args: string[]): Promise<void> {
    try {
      await run(join(POSTGRES_BIN, binary), args, {
        cwd: this.dir,
        ...(this.user ?? {}),
        timeout: 60_000,
      });
    } catch (error) {
      const log = join(this.dir, 'postgres.log');
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2_000) : '';
      throw new Error(`${binary} failed: ${(error as Error).message}\n${tail}`);
    }
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dir}`,
      '-c max_connections=50',
      '-c fsync=off',
    ].join(' ');
    await this.exec('pg_ctl', [
      'start',
      '--pgdata',
      this.dataDir,
      '--wait',
      '--log',
      join(this.dir, 'postgres.log'),
      '-o',
      options,
    ]);
  }

  /**
   * Stops the server: `fast` ends every session (clients get 57P01) and shuts down cleanly;
   * `immediate` aborts at once, to be recovered from the WAL at the next start.
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.exec('pg_ctl', ['stop', '--pgdata', this.dataDir, '--wait', '--mode', mode]);
  }

  /** Stops the server if it runs and deletes the cluster. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}
