/**
 * The `vibariant` command line, run as a child process the way `npm run vibariant` runs it:
 * against a PGlite data directory in a temporary directory, or (pg project) against a database
 * cloned from the run's migrated template.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServices } from '../src/composition-root.js';
import { openDatabase } from '../src/db/database.js';
import { TEST_DATABASE_PREFIX, withDatabase } from './support/postgres-template.js';
import { TEST_DRIVER } from './support/test-database.js';
import { BROWSER_USER_AGENT } from './support/test-server.js';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
/** A fresh PGlite data directory is initialised on first use, which takes a few seconds. */
const SLOW = 90_000;

let dataDir: string;
let databaseUrl: string | undefined;
let dropDatabase: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vibariant-cli-'));
  if (TEST_DRIVER === 'pg') {
    const url = process.env.TEST_DATABASE_URL as string;
    const name = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await admin.raw('CREATE DATABASE ?? TEMPLATE ??', [name, inject('postgresTemplate')]);
    databaseUrl = withDatabase(url, name);
    dropDatabase = async () => {
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      await admin.destroy();
    };
  }
});

afterAll(async () => {
  await dropDatabase?.();
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `vibariant <args>` in a child process; resolves with its exit code and output. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, VIBARIANT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'src/cli/vibariant.ts', ...args],
      { cwd: SERVER_DIR, env, timeout: SLOW },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The same database, opened in this process while no child runs (PGlite has one owner). */
async function withServices<T>(work: (services: ReturnType<typeof createServices>) => Promise<T>) {
  const db = await openDatabase({ databaseUrl, dataDir });
  const services = createServices({ db, logger: pino({ level: 'silent' }) });
  try {
    return await work(services);
  } finally {
    await services.stop();
    await services.decisions.whenIdle();
    await db.close();
  }
}

describe('vibariant command line', () => {
  let projectId: string;

  it(
    'creates a project, printing its token and a new API key, and lists it',
    async () => {
      const created = await cli('project', 'create', '--name', 'Shop');
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const token = created.stdout.match(/project token +(\S+)/)?.[1];
      const apiKey = created.stdout.match(/API key +(\S+)/)?.[1];
      expect(token).toMatch(/^vv_proj_[A-Za-z0-9_-]{24}$/);
      expect(apiKey).toMatch(/^vv_sk_[A-Za-z0-9_-]{43}$/);
      expect(created.stdout).toContain('shown this once');
      projectId = created.stdout.match(/project id +(\S+)/)?.[1] ?? '';

      const listed = await cli('projects', 'list');
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`^${projectId} +Shop +\\d{4}-`, 'm'));
    },
    SLOW,
  );

  it(
    'lists experiments with visitors, conversions and the decision; recounts and repairs',
    async () => {
      await withServices(async (services) => {
        const project = await services.projects.getProject(projectId);
        const exposure = (id: string, visitorId: string, variant: string) => ({
          type: 'exposure',
          id,
          visitorId,
          experiment: 'hero',
          variant,
          variants: ['control', 'b'],
        });
        await services.ingestion.ingest(
          project,
          {
            events: [
              exposure('1', 'a', 'control'),
              exposure('2', 'b', 'b'),
              exposure('3', 'c', 'b'),
              { type: 'conversion', id: '4', visitorId: 'b', goal: 'signup' },
            ],
          },
          { userAgent: BROWSER_USER_AGENT },
        );
        await services.decisions.whenIdle();
        // Damage the stored statistics, for the recount to find.
        const experiment = await services.experimentStore.findByKey(projectId, 'hero');
        await services.db
          .knex('variant_exposure_stats')
          .where({ experiment_id: experiment?.id, variant_key: 'b' })
          .update({ visitors: 5 });
      });

      const listed = await cli('experiments', 'list', '--project', projectId);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^hero {2}running$/m);
      expect(listed.stdout).toMatch(/^ {2}goal: signup {3}decision: [a-z_]+$/m);
      expect(listed.stdout).toMatch(/^ {2}VARIANT +VISITORS +CONVERSIONS$/m);
      expect(listed.stdout).toMatch(/^ {2}control +1 +0$/m);
      expect(listed.stdout).toMatch(/^ {2}b +5 +1$/m);

      const audit = await cli('recount', '--project', projectId);
      expect(audit.code).toBe(1);
      expect(audit.stdout).toContain('hero: 1 difference');
      expect(audit.stdout).toContain('visitors of b (allocation v1): stored 5, recounted 2');
      expect(audit.stdout).toContain('--repair');

      const repair = await cli(
        'recount',
        '--project',
        projectId,
        '--experiment',
        'hero',
        '--repair',
        '--json',
      );
      expect(repair.code).toBe(0);
      expect(JSON.parse(repair.stdout)).toMatchObject({
        experimentKey: 'hero',
        repaired: true,
        differences: [
          { table: 'variant_exposure_stats', stored: { visitors: 5 }, recounted: { visitors: 2 } },
        ],
      });
      await withServices(async (services) => {
        expect((await services.recount.audit(projectId)).differences).toEqual([]);
      });
    },
    SLOW * 2,
  );

  it(
    'invites a first owner to a project with a link that signs in and joins',
    async () => {
      const invited = await cli(
        'invite',
        '--project',
        projectId,
        '--email',
        'Founder@Example.com',
        '--role',
        'owner',
      );
      expect(invited.code).toBe(0);
      expect(invited.stdout).toContain('Invited founder@example.com as owner');
      const token = invited.stdout.match(/\/auth\/magic-link\/verify\?token=([A-Za-z0-9_-]+)/)?.[1];
      expect(token).toBeDefined();
      // Without SMTP_URL the mail went to the (stderr) log at info level, which is off here.
      await withServices(async (services) => {
        const grant = await services.accounts.signInWithLink(token);
        expect(grant.user.email).toBe('founder@example.com');
        expect(await services.accounts.membershipsOf(grant.user.id)).toEqual([
          { projectId, role: 'owner' },
        ]);
      });
      const bad = await cli(
        'invite',
        '--project',
        projectId,
        '--email',
        'x@y.z',
        '--role',
        'admin',
      );
      expect(bad.code).toBe(2);
      const unknown = await cli('invite', '--project', 'nope', '--email', 'x@example.com');
      expect(unknown.code).toBe(1);
    },
    SLOW,
  );

  it(
    'answers bad arguments with a message, the usage and exit code 2',
    async () => {
      const cases: [string[], string][] = [
        [['bogus'], "Unknown command 'bogus'"],
        [['recount'], "'recount' needs --project <id>"],
        [['projects', 'list', '--repair'], "'projects list' does not take --repair"],
        [['project', 'create', '--name'], "Option '--name <value>' argument missing"],
        [['experiments', 'list', '--project', 'p', '--verbose'], "Unknown option '--verbose'"],
      ];
      for (const [args, message] of cases) {
        const result = await cli(...args);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(message);
        expect(result.stderr).toContain('Usage: npm run vibariant -- <command>');
        expect(result.stdout).toBe('');
      }
      const help = await cli('help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('recount --project <id>');
    },
    SLOW,
  );

  it(
    'fails with exit code 1 on an unknown project',
    async () => {
      const result = await cli('experiments', 'list', '--project', 'no-such-project');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("No project 'no-such-project'");
    },
    SLOW,
  );
});
