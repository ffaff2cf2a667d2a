/**
 * The demo's project and experiments, made once and found again on the next run: the project's
 * credentials are kept in a file beside the demo's database, and an experiment that exists is
 * reused, never created twice.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ExperimentView, ProjectApi } from './api-client.js';
import type { DemoExperiment } from './scenario.js';
import { runServerCli, type ServerSettings } from './server-process.js';

/** The demo project's credentials. */
export interface DemoProject {
  readonly projectId: string;
  /** Public, for the SDK: `vv_proj_…`. */
  readonly projectToken: string;
  /** Secret, for `/api`: `vv_sk_…`. */
  readonly apiKey: string;
}

/** The name the demo's project has in the dashboard. */
export const DEMO_PROJECT_NAME = 'Demo: Acme landing page';

/**
 * The demo project saved in `stateFile`, or a new one made with the server's command line
 * (`project create`) and saved there (mode 0600: it holds the API key). Run it before the
 * server starts: on the embedded database only one process at a time may open the data.
 * @returns the project, and whether it was made now.
 * @throws Error when the command line fails (a database it cannot open), or `stateFile`
 *   cannot be written.
 */
export async function ensureDemoProject(
  settings: ServerSettings,
  stateFile: string,
): Promise<{ project: DemoProject; created: boolean }> {
  const saved = readSaved(stateFile);
  if (saved) return { project: saved, created: false };
  const output = await runServerCli(settings, [
    'project',
    'create',
    '--name',
    DEMO_PROJECT_NAME,
    '--json',
  ]);
  const made = JSON.parse(output) as {
    project: { id: string };
    projectToken: string;
    apiKey: { key: string };
  };
  const project: DemoProject = {
    projectId: made.project.id,
    projectToken: made.projectToken,
    apiKey: made.apiKey.key,
  };
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(project, null, 2)}\n`, { mode: 0o600 });
  return { project, created: true };
}

function readSaved(stateFile: string): DemoProject | undefined {
  try {
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as Partial<DemoProject>;
    if (
      typeof saved.projectId === 'string' &&
      typeof saved.projectToken === 'string' &&
      typeof saved.apiKey === 'string'
    ) {
      return saved as DemoProject;
    }
  } catch {
    // absent or unreadable: a new project
  }
  return undefined;
}

/** What {@link ensureExperiments} did with one experiment. */
export interface EnsuredExperiment {
  readonly experiment: ExperimentView;
  /** `created` now, `reused` as it was, `started` (it existed as a draft or paused). */
  readonly action: 'created' | 'reused' | 'started';
}

/**
 * Each experiment of `experiments` in the project: created (running) when the project does
 * not have its key, else reused as it is, and started when it is a draft or paused. A stopped
 * or archived one is left alone (the demo's visitors are then not counted in it).
 * @throws ApiError from the API (401 or 403 when the saved API key is not the project's).
 */
export async function ensureExperiments(
  api: ProjectApi,
  experiments: readonly DemoExperiment[],
): Promise<EnsuredExperiment[]> {
  const ensured: EnsuredExperiment[] = [];
  for (const definition of experiments) {
    const found = await api.getExperiment(definition.key);
    if (!found) {
      ensured.push({ experiment: await api.createExperiment(definition), action: 'created' });
    } else if (
      found.archivedAt === null &&
      (found.status === 'draft' || found.status === 'paused')
    ) {
      ensured.push({ experiment: await api.startExperiment(definition.key), action: 'started' });
    } else {
      ensured.push({ experiment: found, action: 'reused' });
    }
  }
  return ensured;
}
