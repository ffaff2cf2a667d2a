/**
 * The few calls of the management API (`/api`, with a project's secret API key) the demo makes:
 * read, create and start experiments, and list them with their decisions.
 */
import type { DemoExperiment } from './scenario.js';

/** A refusal of the API: the HTTP status and the error's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ApiError';
  }
}

/** A variant of an experiment's latest decision (the fields the demo reads). */
export interface DecisionVariant {
  readonly key: string;
  readonly visitors: number;
  readonly conversions: number;
  readonly mean: number;
  readonly pBest: number;
  readonly expectedLoss: number;
  readonly allocation: number;
}

/** An experiment as the API returns it (the fields the demo reads). */
export interface ExperimentView {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly status: 'draft' | 'running' | 'paused' | 'stopped';
  readonly archivedAt: string | null;
  readonly variants: readonly { readonly key: string; readonly name: string }[];
  /** The allocation of new visitors in force: one weight per variant, and its version (from 1). */
  readonly allocation: { readonly weights: readonly number[]; readonly version: number };
  readonly decision: {
    readonly status: string;
    readonly leader: string;
    readonly effect: string | null;
    readonly recommendation: string;
    readonly variants: readonly DecisionVariant[];
  } | null;
}

/** One allocation version of an experiment: its weights, and the visitors assigned under it. */
export interface AllocationEpoch {
  /** From 1; a new version each time the bandit (or a person) moves the allocation. */
  readonly version: number;
  readonly startedAt: string;
  /** Null for the version in force. */
  readonly endedAt: string | null;
  readonly variants: readonly { key: string; weight: number; visitors: number }[];
  readonly visitors: number;
}

/** The management API of one project. */
export interface ProjectApi {
  /** The experiment with this key, or null when the project has none. */
  getExperiment(key: string): Promise<ExperimentView | null>;
  /** Creates the experiment, running, with its variants, goal, bandit mode and thresholds. */
  createExperiment(experiment: DemoExperiment): Promise<ExperimentView>;
  /** Starts a draft or resumes a paused experiment. */
  startExperiment(key: string): Promise<ExperimentView>;
  /** Every experiment of the project that is not archived, with its latest decision. */
  listExperiments(): Promise<ExperimentView[]>;
  /** The experiment's allocation versions, oldest first (404 when there is no such key). */
  listAllocations(key: string): Promise<AllocationEpoch[]>;
}

/**
 * The API of project `projectId` on `url` with its API key (`vv_sk_…`).
 * Every method throws ApiError on a refusal (401 for a key the server does not know, 403 for a
 * project the key is not for, 409 for an experiment that exists already or cannot start) and the fetch
 * error when the server cannot be reached.
 */
export function projectApi(url: string, projectId: string, apiKey: string): ProjectApi {
  const base = `${url}/api/projects/${encodeURIComponent(projectId)}/experiments`;
  const call = async <T>(path: string, method = 'GET', body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string };
    };
    if (!response.ok) {
      throw new ApiError(
        response.status,
        answer.error?.code ?? 'error',
        answer.error?.message ?? response.statusText,
      );
    }
    return answer as T;
  };
  return {
    async getExperiment(key) {
      try {
        return (await call<{ experiment: ExperimentView }>(`/${key}`)).experiment;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    async createExperiment(e) {
      const body = {
        key: e.key,
        name: e.name,
        hypothesis: e.hypothesis,
        variants: e.variants,
        primaryGoal: e.goal,
        banditMode: e.banditMode,
        ...(e.thresholds ? { thresholds: e.thresholds } : {}),
        start: true,
      };
      return (await call<{ experiment: ExperimentView }>('', 'POST', body)).experiment;
    },
    async startExperiment(key) {
      return (await call<{ experiment: ExperimentView }>(`/${key}/start`, 'POST', {})).experiment;
    },
    async listExperiments() {
      return (await call<{ experiments: ExperimentView[] }>('')).experiments;
    },
    async listAllocations(key) {
      return (await call<{ allocations: AllocationEpoch[] }>(`/${key}/allocations`)).allocations;
    },
  };
}
