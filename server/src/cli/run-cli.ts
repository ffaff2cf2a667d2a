/**
 * The `vibariant` command line: set up and check a project without the dashboard, with the same
 * services as the API (composition root, database, migrations, configuration).
 */
import { parseArgs } from 'node:util';
import type { Services } from '../composition-root.js';
import { AppError } from '../errors/app-error.js';
import type { RecountReport, StatsDifference } from '../features/audit/recount-service.js';

/** The help text, printed by `help` and after every usage error. */
export const USAGE = `Usage: npm run vibariant -- <command> [options]

Commands:
  project create --name <name>
      Create a project. Prints its id, its public project token and a new secret API key
      (the key is shown this once).
  projects list
      List every project.
  experiments list --project <id>
      List the project's experiments: status, visitors and conversions per variant, and the
      decision computed now (status and recommendation).
  invite --project <id> --email <address> [--role owner|member]
      Invite someone to a project (default role: member): emails a sign-in link that joins
      them (SMTP_URL; without it the mail goes to the log) and prints the link. The way to
      give the first project created at start-up its first owner.
  recount --project <id> [--experiment <key>] [--repair]
      Recount the sufficient statistics from the raw event log and print where the stored ones
      differ. --repair rewrites the differing experiments' statistics from the recount.
  help
      Show this help.

Options:
  --json        Print machine-readable JSON instead of text.
  -h, --help    Show this help.

Environment:
  DATABASE_URL        PostgreSQL connection string; unset: the embedded PGlite database
  VIBARIANT_DATA_DIR  PGlite data directory (default ./.vibariant/data)
  PUBLIC_URL, SMTP_URL, MAIL_FROM  for invitations, as for the server
  LOG_LEVEL           Log level of the (stderr) log (default warn)

Exit codes:
  0  success
  1  the command failed, or recount found differences and did not repair them
  2  bad arguments
`;

/** Where the command line writes, and the environment it reads. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** Exit codes of {@link runCli}. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line that does not name a valid command with valid options: exit code 2. */
class UsageError extends Error {}

const OPTIONS = {
  name: { type: 'string' },
  project: { type: 'string' },
  experiment: { type: 'string' },
  repair: { type: 'boolean' },
  email: { type: 'string' },
  role: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Each command, with the options it takes (beyond --json and --help) and those it requires. */
const COMMANDS = {
  'project create': { options: ['name'], required: ['name'] },
  'projects list': { options: [], required: [] },
  'experiments list': { options: ['project'], required: ['project'] },
  invite: { options: ['project', 'email', 'role'], required: ['project', 'email'] },
  recount: { options: ['project', 'experiment', 'repair'], required: ['project'] },
  help: { options: [], required: [] },
} as const satisfies Record<string, { options: OptionName[]; required: OptionName[] }>;

type CommandName = keyof typeof COMMANDS;

interface Invocation {
  readonly command: CommandName;
  readonly json: boolean;
  readonly name?: string;
  readonly project?: string;
  readonly experiment?: string;
  readonly email?: string;
  readonly role?: string;
  readonly repair: boolean;
}

/**
 * Parses the arguments (after the script name).
 * @throws UsageError naming the problem: unknown command or option, an option the command does
 *   not take, a missing or empty required option.
 */
function parse(args: readonly string[]): Invocation {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const words = positionals.join(' ');
  if (values.help || words === '') {
    return { command: 'help', json: values.json === true, repair: false };
  }
  if (!Object.hasOwn(COMMANDS, words)) throw new UsageError(`Unknown command '${words}'`);
  const command = words as CommandName;
  const spec: { options: readonly OptionName[]; required: readonly OptionName[] } =
    COMMANDS[command];
  for (const option of Object.keys(values) as OptionName[]) {
    if (option === 'json' || option === 'help' || spec.options.includes(option)) continue;
    throw new UsageError(`'${command}' does not take --${option}`);
  }
  for (const option of spec.required) {
    const value = values[option];
    if (typeof value !== 'string' || value.trim() === '') {
      const what = option === 'name' ? 'name' : option === 'email' ? 'address' : 'id';
      throw new UsageError(`'${command}' needs --${option} <${what}>`);
    }
  }
  if (values.name !== undefined && values.name.trim().length > 200) {
    throw new UsageError('--name takes at most 200 characters, as the API does');
  }
  if (values.role !== undefined && values.role !== 'owner' && values.role !== 'member') {
    throw new UsageError('--role is owner or member');
  }
  if (values.experiment !== undefined && values.experiment.trim() === '') {
    throw new UsageError('--experiment needs an experiment key');
  }
  return {
    command,
    json: values.json === true,
    repair: values.repair === true,
    ...(values.name === undefined ? {} : { name: values.name.trim() }),
    ...(values.project === undefined ? {} : { project: values.project.trim() }),
    ...(values.experiment === undefined ? {} : { experiment: values.experiment.trim() }),
    ...(values.email === undefined ? {} : { email: values.email }),
    ...(values.role === undefined ? {} : { role: values.role }),
  };
}

/**
 * Runs one command line and returns its exit code (see {@link EXIT}); never throws. Opens the
 * database from the environment (`DATABASE_URL`, else PGlite under `VIBARIANT_DATA_DIR`), runs
 * pending migrations as the server does at start-up, and closes it before returning. `help` and
 * usage errors touch no database.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parse(args);
  } catch (err) {
    io.stderr(`Error: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (invocation.command === 'help') {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  try {
    // Loaded only now, so that help and usage errors answer without loading the database.
    const [
      { pino },
      { createServices },
      { loadConfig },
      { migrate, openDatabase },
      { createMailer },
      { randomBytes },
    ] = await Promise.all([
      import('pino'),
      import('../composition-root.js'),
      import('../config.js'),
      import('../db/database.js'),
      import('../features/accounts/mailer.js'),
      import('node:crypto'),
    ]);
    const config = loadConfig(io.env);
    const logger = pino(
      { level: io.env.LOG_LEVEL ? config.logLevel : 'warn' },
      pino.destination({ dest: 2, sync: true }),
    );
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrate(db.knex);
      const services = createServices({
        db,
        logger,
        accounts: {
          // The command line signs no sessions.
          sessionSecret: randomBytes(32),
          publicUrl: config.publicUrl,
          mailer: createMailer(config.smtpUrl, config.mailFrom, logger),
        },
      });
      try {
        return await execute(services, invocation, io);
      } finally {
        await services.stop();
        await services.decisions.whenIdle();
      }
    } finally {
      await db.close();
    }
  } catch (err) {
    const code = err instanceof AppError ? err.code : 'failed';
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(
      invocation.json ? `${JSON.stringify({ error: { code, message } })}\n` : `Error: ${message}\n`,
    );
    return EXIT.failed;
  }
}

async function execute(services: Services, inv: Invocation, io: CliIo): Promise<number> {
  const json = (value: unknown) => io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  switch (inv.command) {
    case 'project create': {
      const { project, token, apiKey } = await services.projects.createProject(inv.name ?? '');
      if (inv.json) {
        json({
          project: { id: project.id, name: project.name, createdAt: project.createdAt },
          projectToken: token.token,
          apiKey: { id: apiKey.apiKey.id, prefix: apiKey.apiKey.prefix, key: apiKey.key },
        });
      } else {
        io.stdout(
          [
            `Created project "${project.name}"`,
            `  project id     ${project.id}`,
            `  project token  ${token.token}`,
            '                 public: put it in the SDK configuration of your app',
            `  API key        ${apiKey.key}`,
            '                 secret: shown this once, store it now (for /api and scripts)',
            '',
          ].join('\n'),
        );
      }
      return EXIT.ok;
    }
    case 'projects list': {
      const projects = await services.projects.listProjects();
      if (inv.json) {
        json(projects.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt })));
      } else if (projects.length === 0) {
        io.stdout('No projects yet. Create one with: project create --name <name>\n');
      } else {
        io.stdout(
          table(
            ['ID', 'NAME', 'CREATED'],
            projects.map((p) => [p.id, p.name, p.createdAt.toISOString()]),
          ),
        );
      }
      return EXIT.ok;
    }
    case 'experiments list':
      return listExperiments(services, inv.project ?? '', inv.json, io);
    case 'invite': {
      const { invitation, link } = await services.team.invite(inv.project ?? '', null, {
        email: inv.email,
        ...(inv.role === undefined ? {} : { role: inv.role }),
      });
      if (inv.json) json({ invitation, link });
      else {
        io.stdout(
          [
            `Invited ${invitation.email} as ${invitation.role} (the link works once, until ${invitation.expiresAt.toISOString()}):`,
            `  ${link}`,
            '  It signs in as that address: give it to that person only.',
            '',
          ].join('\n'),
        );
      }
      return EXIT.ok;
    }
    case 'recount': {
      const options = { experimentKey: inv.experiment };
      const project = inv.project ?? '';
      const report = inv.repair
        ? await services.recount.repair(project, options)
        : await services.recount.audit(project, options);
      if (inv.json) json(report);
      else io.stdout(formatRecount(report));
      return report.differences.length > 0 && !report.repaired ? EXIT.failed : EXIT.ok;
    }
    case 'help':
      io.stdout(USAGE);
      return EXIT.ok;
  }
}

async function listExperiments(
  services: Services,
  projectId: string,
  asJson: boolean,
  io: CliIo,
): Promise<number> {
  await services.projects.getProject(projectId);
  const experiments = await services.experimentStore.list(projectId, { includeArchived: true });
  const rows = [];
  for (const experiment of experiments) {
    // The decision as the API computes it now from the sufficient statistics (stores nothing).
    let decided: { goal: string | null; status: string; recommendation: string } | undefined;
    let variants = experiment.variants.map((v) => ({ key: v.key, visitors: 0, conversions: 0 }));
    let error: string | undefined;
    try {
      const { goal, decision } = await services.decisions.compute(experiment);
      decided = { goal, status: decision.status, recommendation: decision.recommendation };
      variants = decision.variants.map((v) => ({
        key: v.key,
        visitors: v.visitors,
        conversions: v.conversions,
      }));
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    rows.push({
      id: experiment.id,
      key: experiment.key,
      name: experiment.name,
      status: experiment.status,
      archived: experiment.archivedAt !== null,
      createdBy: experiment.createdBy,
      goal: decided?.goal ?? null,
      variants,
      decision: decided ? { status: decided.status, recommendation: decided.recommendation } : null,
      ...(error === undefined ? {} : { error }),
    });
  }
  if (asJson) {
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.stdout('No experiments yet: create one in the API, or send an exposure from the SDK.\n');
    return EXIT.ok;
  }
  const blocks = rows.map((r) => {
    const lines = [
      `${r.key}  ${r.status}${r.archived ? ' (archived)' : ''}  ${r.name === r.key ? '' : `"${r.name}"`}`.trimEnd(),
      `  goal: ${r.goal ?? '(none yet)'}   decision: ${r.decision?.status ?? 'unavailable'}`,
      indent(
        table(
          ['VARIANT', 'VISITORS', 'CONVERSIONS'],
          r.variants.map((v) => [v.key, String(v.visitors), String(v.conversions)]),
          [false, true, true],
        ),
      ),
      `  ${r.decision?.recommendation ?? `Decision unavailable: ${r.error ?? 'unknown error'}`}`,
    ];
    return `${lines.join('\n')}\n`;
  });
  io.stdout(blocks.join('\n'));
  return EXIT.ok;
}

/** The recount report as text: one line per experiment, one per difference. */
function formatRecount(report: RecountReport): string {
  const n = report.experiments.length;
  const lines = [
    `Replayed ${report.eventsReplayed} events of project ${report.projectId} ` +
      `(${n} experiment${n === 1 ? '' : 's'}).`,
  ];
  for (const experiment of report.experiments) {
    const d = experiment.differences;
    lines.push(
      `${experiment.experimentKey}: ${d.length === 0 ? 'no differences' : `${d.length} difference${d.length === 1 ? '' : 's'}`}`,
    );
    for (const difference of d) lines.push(`  ${formatDifference(difference)}`);
  }
  const differing = report.experiments.filter((e) => e.differences.length > 0).length;
  if (report.repaired) {
    lines.push(
      `Repaired: rewrote the statistics of ${differing} experiment${differing === 1 ? '' : 's'} from the recount; their decisions are recomputed.`,
    );
  } else if (differing > 0) {
    lines.push('The stored statistics differ from the recount. Run again with --repair to fix.');
  } else {
    lines.push('The stored statistics match the recount.');
  }
  return `${lines.join('\n')}\n`;
}

function formatDifference(d: StatsDifference): string {
  if (d.table === 'variant_exposure_stats') {
    return (
      `visitors of ${d.key.variantKey} (allocation v${d.key.allocationVersion}): ` +
      `stored ${d.stored.visitors}, recounted ${d.recounted.visitors}; ` +
      `conflicting exposures: stored ${d.stored.conflictingExposures}, ` +
      `recounted ${d.recounted.conflictingExposures}`
    );
  }
  return (
    `conversions of ${d.key.variantKey} for goal ${JSON.stringify(d.key.goalKey)}: ` +
    `stored ${d.stored.conversions}, recounted ${d.recounted.conversions}`
  );
}

/** A plain text table: columns padded to their widest cell, right-aligned where asked. */
function table(header: string[], rows: string[][], right: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

const indent = (text: string): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
