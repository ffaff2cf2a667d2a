import { equalWeights, isValidExperimentKey, WEIGHT_SUM_TOLERANCE } from '@vibariant/sdk/core';
import {
  type BanditMode,
  type BetaParams,
  resolvePrior,
  resolveThresholds,
  StatsInputError,
  type Thresholds,
} from '@vibariant/stats';
import type { DomainEvents } from '../../domain-events.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors/app-error.js';
import { type CompactDecision, compactDecision } from '../decisions/compact-decision.js';
import type { DecisionService } from '../decisions/decision-service.js';
import { newId } from '../projects/credentials.js';
import type {
  Experiment,
  ExperimentPatch,
  ExperimentStatus,
  ExperimentStore,
  VariantDefinition,
} from './experiment-store.js';

/** Most arms an experiment may have (the stats engine's limit). */
export const MAX_VARIANTS = 50;

/** Decision thresholds as a request gives them: any subset, validated by the stats engine. */
export type ThresholdsInput = { readonly [K in keyof Thresholds]?: number | undefined };

/** One arm of a new experiment, or one added later; the name defaults to the key. */
export interface VariantInput {
  readonly key: string;
  readonly name?: string | undefined;
}

/** What a person gives to create an experiment. */
export interface CreateExperimentInput {
  /** 1 to 64 letters, digits, `-`, `_` or `.` (`EXPERIMENT_KEY_PATTERN`), unique per project. */
  readonly key: string;
  readonly name: string;
  readonly hypothesis?: string | null | undefined;
  /** 2 to 50 arms with unique keys, in the order the SDK declares them. */
  readonly variants: readonly VariantInput[];
  /** The goal decisions are about; null or absent: the confirmed goal with most conversions. */
  readonly primaryGoal?: string | null | undefined;
  /** User prior Beta(alpha, beta), each in [0.01, 1e6] pseudo visitors; null: tiers 2 and 3. */
  readonly prior?: BetaParams | null | undefined;
  /** Decision thresholds (STATS.md section 6); omitted fields take the defaults. */
  readonly thresholds?: ThresholdsInput | null | undefined;
  /** STATS.md section 8; default 'top-two'. */
  readonly banditMode?: BanditMode | undefined;
  /** Create it running rather than as a draft. */
  readonly start?: boolean | undefined;
}

/** What a person may change on an experiment; null clears a field. */
export interface UpdateExperimentInput {
  readonly name?: string | undefined;
  readonly hypothesis?: string | null | undefined;
  readonly primaryGoal?: string | null | undefined;
  readonly prior?: BetaParams | null | undefined;
  readonly thresholds?: ThresholdsInput | null | undefined;
  readonly banditMode?: BanditMode | undefined;
}

/** Filters of {@link ExperimentService.list}. */
export interface ExperimentFilter {
  /** Only experiments with one of these statuses (default: every status). */
  readonly statuses?: readonly ExperimentStatus[] | undefined;
  /** Include archived experiments (default false). */
  readonly includeArchived?: boolean | undefined;
}

/** The lifecycle commands of an experiment. */
export type ExperimentAction = 'start' | 'pause' | 'stop' | 'archive' | 'unarchive';

/** An experiment in a list: its latest decision without the density curves. */
export type ExperimentSummary = Omit<Experiment, 'decision'> & {
  readonly decision: CompactDecision | null;
};

/** What a transition does: the new status (null: unchanged) and the other fields it sets. */
interface TransitionPlan {
  readonly status: ExperimentStatus | null;
  readonly patch: ExperimentPatch;
}

/** The state a transition's 409 reports: the status, or 'archived' for an archived experiment. */
const stateOf = (e: Experiment): string => (e.archivedAt === null ? e.status : 'archived');

const TARGET: Record<ExperimentAction, string> = {
  start: 'running',
  pause: 'paused',
  stop: 'stopped',
  archive: 'archived',
  unarchive: 'unarchived',
};

/**
 * The lifecycle rules, or null when `action` is not allowed from the experiment's state:
 * draft -> running (start, sets startedAt), paused -> running (start resumes), running ->
 * paused, running | paused -> stopped (sets stoppedAt), any -> archived (sets archivedAt; a
 * running or paused experiment is stopped as well), archived -> not archived (unarchive, the
 * status is unchanged). An archived experiment accepts nothing but unarchive.
 */
function planTransition(e: Experiment, action: ExperimentAction, at: Date): TransitionPlan | null {
  const archived = e.archivedAt !== null;
  if (action === 'unarchive') {
    return archived ? { status: null, patch: { archivedAt: null } } : null;
  }
  if (archived) return null;
  const live = e.status === 'running' || e.status === 'paused';
  switch (action) {
    case 'start':
      if (e.status === 'draft') {
        return { status: 'running', patch: { startedAt: e.startedAt ?? at } };
      }
      return e.status === 'paused' ? { status: 'running', patch: {} } : null;
    case 'pause':
      return e.status === 'running' ? { status: 'paused', patch: {} } : null;
    case 'stop':
      return live ? { status: 'stopped', patch: { stoppedAt: at } } : null;
    case 'archive':
      return live
        ? { status: 'stopped', patch: { stoppedAt: at, archivedAt: at } }
        : { status: null, patch: { archivedAt: at } };
  }
}

/**
 * The user prior Beta(alpha, beta), checked by the stats engine's own rule.
 * @throws ValidationError (400) naming `prior.alpha` or `prior.beta` unless each is a finite
 *   number in [0.01, 1e6] (the stats engine's own rule, so a stored prior always decides).
 */
function checkPrior(prior: BetaParams | null): BetaParams | null {
  if (prior === null) return null;
  try {
    resolvePrior({ prior });
  } catch (err) {
    if (err instanceof StatsInputError) throw new ValidationError(err.field, err.message);
    throw err;
  }
  return { alpha: prior.alpha, beta: prior.beta };
}

/**
 * The given thresholds without absent fields.
 * @throws ValidationError (400) naming `thresholds.<field>` when the stats engine rejects it
 *   (for example `thresholds.minVisitorsPerVariant` unless a non-negative integer).
 */
function checkThresholds(thresholds: ThresholdsInput | null): Thresholds | null {
  if (thresholds === null) return null;
  const given: Record<string, number> = {};
  for (const [name, value] of Object.entries(thresholds)) {
    if (value !== undefined) given[name] = value;
  }
  try {
    resolveThresholds(given as Thresholds);
  } catch (err) {
    if (err instanceof StatsInputError) throw new ValidationError(err.field, err.message);
    throw err;
  }
  return given as Thresholds;
}

/**
 * Experiments as people manage them: create, change, move through the lifecycle, add arms and
 * set the allocation by hand. Every change is persisted first, then announced on the domain
 * events (`experiment:created`, `experiment:updated`, `allocation:changed`); a change that can
 * move the decision waits for its recompute, so the experiment returned carries the current
 * decision.
 */
export class ExperimentService {
  constructor(
    private readonly store: ExperimentStore,
    private readonly decisions: DecisionService,
    private readonly events: DomainEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The project's experiments, newest first, with their latest decision (without density
   * curves). Archived experiments only with `includeArchived`.
   */
  async list(projectId: string, filter: ExperimentFilter = {}): Promise<ExperimentSummary[]> {
    const experiments = await this.store.list(projectId, {
      includeArchived: filter.includeArchived ?? false,
      ...(filter.statuses ? { statuses: filter.statuses } : {}),
    });
    return experiments.map((e) => ({
      ...e,
      decision: e.decision === null ? null : compactDecision(e.decision),
    }));
  }

  /**
   * The project's experiment with this key, archived or not, with its latest decision and the
   * allocation in force.
   * @throws NotFoundError (404) when the project has no such experiment.
   */
  async get(projectId: string, key: string): Promise<Experiment> {
    const experiment = await this.store.findByKey(projectId, key);
    if (!experiment) throw new NotFoundError('experiment', key);
    return experiment;
  }

  /**
   * Creates an experiment as a draft (or running with `start`), with equal weights over its
   * variants as allocation version 1, and computes its first decision.
   * @throws ValidationError (400) naming the field: `key` (not a valid key), `variants` (fewer
   *   than 2 or more than 50), `variants.<i>.key` (invalid or repeated), `prior.alpha`,
   *   `prior.beta`, `thresholds.<field>`.
   * @throws ConflictError (409, details.field `key`) when the project already has this key.
   */
  async create(projectId: string, input: CreateExperimentInput): Promise<Experiment> {
    if (!isValidExperimentKey(input.key)) {
      throw new ValidationError('key', 'key: must be 1 to 64 letters, digits, "-", "_" or "."');
    }
    const variants = checkVariants(input.variants);
    const prior = checkPrior(input.prior ?? null);
    const thresholds = checkThresholds(input.thresholds ?? null);
    const at = new Date(this.now());
    const running = input.start === true;
    const { experiment, created } = await this.store.insert({
      id: newId(),
      projectId,
      key: input.key,
      name: input.name,
      hypothesis: input.hypothesis || null,
      status: running ? 'running' : 'draft',
      variants,
      primaryGoal: input.primaryGoal ?? null,
      prior,
      thresholds,
      banditMode: input.banditMode ?? 'top-two',
      weights: equalWeights(variants.length),
      createdBy: 'api',
      createdAt: at,
      startedAt: running ? at : null,
    });
    if (!created) {
      throw new ConflictError(`Experiment '${input.key}' already exists in this project`, {
        field: 'key',
        key: input.key,
      });
    }
    this.events.emit('experiment:created', { experiment });
    return this.recomputed(experiment);
  }

  /**
   * Changes the given fields; null clears `hypothesis`, `primaryGoal`, `prior` or `thresholds`.
   * A change of primary goal, prior, thresholds or bandit mode recomputes the decision. Turning
   * the bandit 'off' keeps the allocation in force (set it by hand while draft or paused).
   * @throws NotFoundError (404) when the project has no such experiment.
   * @throws ConflictError (409) when the experiment is archived (unarchive it first).
   * @throws ValidationError (400) naming `prior.alpha`, `prior.beta` or `thresholds.<field>`.
   */
  async update(projectId: string, key: string, input: UpdateExperimentInput): Promise<Experiment> {
    const experiment = await this.get(projectId, key);
    if (experiment.archivedAt !== null) {
      throw new ConflictError(`Experiment '${key}' is archived; unarchive it to change it`, {
        field: 'archivedAt',
        from: 'archived',
      });
    }
    const patch: { -readonly [K in keyof ExperimentPatch]: ExperimentPatch[K] } = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.hypothesis !== undefined) patch.hypothesis = input.hypothesis || null;
    if (input.primaryGoal !== undefined) patch.primaryGoal = input.primaryGoal;
    if (input.prior !== undefined) patch.prior = checkPrior(input.prior);
    if (input.thresholds !== undefined) patch.thresholds = checkThresholds(input.thresholds);
    if (input.banditMode !== undefined) patch.banditMode = input.banditMode;
    if (Object.keys(patch).length === 0) return experiment;
    const updated = await this.store.update(experiment.id, patch);
    if (!updated) throw new NotFoundError('experiment', key);
    this.events.emit('experiment:updated', { experiment: updated });
    const decisive =
      patch.primaryGoal !== undefined ||
      patch.prior !== undefined ||
      patch.thresholds !== undefined ||
      patch.banditMode !== undefined;
    return decisive ? this.recomputed(updated) : updated;
  }

  /**
   * Moves the experiment through its lifecycle, recording the status change with its time in
   * the status history (which the audit recount replays):
   * - `start`: draft -> running (sets startedAt) or paused -> running (resumes);
   * - `pause`: running -> paused (new visitors are no longer counted);
   * - `stop`: running | paused -> stopped (sets stoppedAt; the final decision then feeds the
   *   project's historical prior);
   * - `archive`: from any state; hides the experiment from lists. A running or paused
   *   experiment is stopped by archiving, since an archived experiment must never be counted
   *   or assigned; a draft or stopped one keeps its status;
   * - `unarchive`: archived -> not archived, status unchanged.
   * The decision is recomputed afterwards.
   * @throws NotFoundError (404) when the project has no such experiment.
   * @throws ConflictError (409, details { action, from, to }) when the action is not allowed
   *   from the current state (`from` is the status, or 'archived'), or when a concurrent
   *   change moved the experiment first.
   */
  async transition(projectId: string, key: string, action: ExperimentAction): Promise<Experiment> {
    const experiment = await this.get(projectId, key);
    const at = new Date(this.now());
    const from = stateOf(experiment);
    const to = TARGET[action];
    const plan = planTransition(experiment, action, at);
    if (!plan) {
      throw new ConflictError(`Cannot ${action} an experiment that is ${from}`, {
        field: 'status',
        action,
        from,
        to,
      });
    }
    const updated = await this.store.transition(
      experiment.id,
      { status: experiment.status, archived: experiment.archivedAt !== null },
      plan.status,
      at,
      plan.patch,
    );
    if (!updated) {
      throw new ConflictError(`Experiment '${key}' changed meanwhile; reload it and retry`, {
        field: 'status',
        action,
        from,
        to,
      });
    }
    this.events.emit('experiment:updated', { experiment: updated });
    return this.recomputed(updated);
  }

  /**
   * Appends an arm (arms are never removed or reordered, so stored counts keep their meaning)
   * and starts a new allocation version with equal weights over all arms; visitors already
   * assigned keep their variant. Only a person adds arms; ingestion never does.
   * @throws NotFoundError (404) when the project has no such experiment.
   * @throws ValidationError (400, field `key`) when the key is not a valid variant key.
   * @throws ConflictError (409) when the experiment is stopped or archived (details.from), when
   *   the arm exists (field `key`), when it has 50 arms already (field `variants`), or when the
   *   allocation changed concurrently (field `allocation.version`; reload and retry).
   */
  async addVariant(projectId: string, key: string, input: VariantInput): Promise<Experiment> {
    const experiment = await this.get(projectId, key);
    const variant = variantOf(input, 'key');
    const from = stateOf(experiment);
    if (from === 'stopped' || from === 'archived') {
      throw new ConflictError(`Cannot add a variant to an experiment that is ${from}`, {
        field: 'status',
        action: 'add_variant',
        from,
      });
    }
    if (experiment.variants.some((v) => v.key === variant.key)) {
      throw new ConflictError(`Experiment '${key}' already has a variant '${variant.key}'`, {
        field: 'key',
        key: variant.key,
      });
    }
    if (experiment.variants.length >= MAX_VARIANTS) {
      throw new ConflictError(`An experiment has at most ${MAX_VARIANTS} variants`, {
        field: 'variants',
        limit: MAX_VARIANTS,
      });
    }
    const variants = [...experiment.variants, variant];
    const updated = await this.store.replaceVariants(
      experiment.id,
      experiment.allocation.version,
      variants,
      equalWeights(variants.length),
      new Date(this.now()),
    );
    if (!updated) throw concurrentAllocation(key, experiment.allocation.version);
    this.events.emit('experiment:updated', { experiment: updated });
    this.events.emit('allocation:changed', {
      projectId,
      experimentId: updated.id,
      allocation: updated.allocation,
    });
    return this.recomputed(updated);
  }

  /**
   * Sets the allocation by hand as a new allocation version: only while the bandit is 'off'
   * (otherwise it would overwrite the weights) and the experiment is a draft or paused.
   * `weights` holds one share per variant in variant order, each >= 0, summing to 1 within
   * 1e-6 (`WEIGHT_SUM_TOLERANCE`, as the SDK's assignment checks).
   * @throws NotFoundError (404) when the project has no such experiment.
   * @throws ValidationError (400, field `weights`) on a wrong count or sum.
   * @throws ConflictError (409) when the bandit mode is not 'off' (field `banditMode`), when the
   *   experiment is not a draft or paused (details.from), or when `expectedVersion` is given and
   *   is not the version in force, or another writer changed it first (field
   *   `allocation.version`).
   */
  async setAllocation(
    projectId: string,
    key: string,
    weights: readonly number[],
    expectedVersion?: number,
  ): Promise<Experiment> {
    const experiment = await this.get(projectId, key);
    const from = stateOf(experiment);
    if (experiment.banditMode !== 'off') {
      throw new ConflictError(
        `The '${experiment.banditMode}' bandit sets this experiment's allocation; set banditMode to 'off' first`,
        { field: 'banditMode', banditMode: experiment.banditMode },
      );
    }
    if (from !== 'draft' && from !== 'paused') {
      throw new ConflictError(`The allocation of an experiment that is ${from} cannot be set`, {
        field: 'status',
        action: 'set_allocation',
        from,
      });
    }
    if (weights.length !== experiment.variants.length) {
      throw new ValidationError(
        'weights',
        `weights: needs one weight per variant (${experiment.variants.length}), got ${weights.length}`,
      );
    }
    const sum = weights.reduce((a, b) => a + b, 0);
    if (!(Math.abs(sum - 1) <= WEIGHT_SUM_TOLERANCE)) {
      throw new ValidationError(
        'weights',
        `weights: must sum to 1 (within ${WEIGHT_SUM_TOLERANCE}), got ${sum}`,
      );
    }
    const version = experiment.allocation.version;
    if (expectedVersion !== undefined && expectedVersion !== version) {
      throw concurrentAllocation(key, expectedVersion, version);
    }
    const allocation = await this.store.replaceAllocation(
      experiment.id,
      version,
      weights,
      new Date(this.now()),
    );
    if (!allocation) throw concurrentAllocation(key, version);
    this.events.emit('allocation:changed', { projectId, experimentId: experiment.id, allocation });
    const updated = (await this.store.findById(experiment.id)) ?? experiment;
    this.events.emit('experiment:updated', { experiment: updated });
    return updated;
  }

  /** Recomputes the decision now and returns the experiment as stored afterwards. */
  private async recomputed(experiment: Experiment): Promise<Experiment> {
    await this.decisions.schedule(experiment.id);
    return (await this.store.findById(experiment.id)) ?? experiment;
  }
}

/**
 * The variant with its name defaulted to its key. Variant keys follow the experiment-key rule,
 * as the SDK's exposure events do.
 * @throws ValidationError (400) naming `path` when the key is not valid.
 */
function variantOf(v: VariantInput, path: string): VariantDefinition {
  if (!isValidExperimentKey(v.key)) {
    throw new ValidationError(path, `${path}: must be 1 to 64 letters, digits, "-", "_" or "."`);
  }
  return { key: v.key, name: v.name ?? v.key };
}

/**
 * The arms of a new experiment, names defaulted to keys.
 * @throws ValidationError (400) naming `variants` (fewer than 2 or more than 50) or
 *   `variants.<i>.key` (invalid or repeated key).
 */
function checkVariants(variants: readonly VariantInput[]): VariantDefinition[] {
  if (variants.length < 2 || variants.length > MAX_VARIANTS) {
    throw new ValidationError(
      'variants',
      `variants: needs 2 to ${MAX_VARIANTS} variants, got ${variants.length}`,
    );
  }
  const seen = new Set<string>();
  return variants.map((v, i) => {
    const path = `variants.${i}.key`;
    const variant = variantOf(v, path);
    if (seen.has(v.key)) throw new ValidationError(path, `${path}: repeats variant '${v.key}'`);
    seen.add(v.key);
    return variant;
  });
}

/** 409 for a lost compare-and-set on the allocation version. */
function concurrentAllocation(key: string, expected: number, current?: number): ConflictError {
  return new ConflictError(
    `The allocation of experiment '${key}' changed meanwhile; reload it and retry`,
    {
      field: 'allocation.version',
      expectedVersion: expected,
      ...(current !== undefined ? { currentVersion: current } : {}),
    },
  );
}
