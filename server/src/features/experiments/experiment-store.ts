import type { BanditMode, BetaParams, Decision, Thresholds } from '@vibariant/stats';
import type { Knex } from 'knex';
import { type CountingClock, lockProject, lockProjectOfExperiment } from '../../counting-clock.js';

export type ExperimentStatus = 'draft' | 'running' | 'paused' | 'stopped';

export interface VariantDefinition {
  readonly key: string;
  readonly name: string;
}

/** The traffic allocation in force: one weight per variant (sum 1), and its version. */
export interface Allocation {
  readonly weights: number[];
  readonly version: number;
  readonly updatedAt: Date;
}

export interface Experiment {
  readonly id: string;
  readonly projectId: string;
  readonly key: string;
  readonly name: string;
  readonly hypothesis: string | null;
  readonly status: ExperimentStatus;
  readonly variants: VariantDefinition[];
  readonly primaryGoal: string | null;
  readonly prior: BetaParams | null;
  readonly thresholds: Thresholds | null;
  readonly banditMode: BanditMode;
  readonly allocation: Allocation;
  /** 'code' when an SDK exposure created it, else 'api'. */
  readonly createdBy: string;
  readonly decision: Decision | null;
  readonly decisionStatus: string | null;
  readonly decidedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly startedAt: Date | null;
  readonly stoppedAt: Date | null;
  readonly archivedAt: Date | null;
}

export interface AllocationEpochRecord {
  readonly version: number;
  readonly weights: number[];
  readonly startedAt: Date;
}

interface ExperimentRow {
  id: string;
  project_id: string;
  key: string;
  name: string;
  hypothesis: string | null;
  status: ExperimentStatus;
  variants: VariantDefinition[];
  primary_goal: string | null;
  prior: BetaParams | null;
  thresholds: Thresholds | null;
  bandit_mode: BanditMode;
  allocation: number[];
  allocation_version: number;
  allocation_updated_at: Date;
  created_by: string;
  decision: Decision | null;
  decision_status: string | null;
  decided_at: Date | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  stopped_at: Date | null;
  archived_at: Date | null;
}

const toExperiment = (r: ExperimentRow): Experiment => ({
  id: r.id,
  projectId: r.project_id,
  key: r.key,
  name: r.name,
  hypothesis: r.hypothesis,
  status: r.status,
  variants: r.variants,
  primaryGoal: r.primary_goal,
  prior: r.prior,
  thresholds: r.thresholds,
  banditMode: r.bandit_mode,
  allocation: {
    weights: r.allocation,
    version: r.allocation_version,
    updatedAt: r.allocation_updated_at,
  },
  createdBy: r.created_by,
  decision: r.decision,
  decisionStatus: r.decision_status,
  decidedAt: r.decided_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  startedAt: r.started_at,
  stoppedAt: r.stopped_at,
  archivedAt: r.archived_at,
});

/** What a new experiment is made of: its fields, and the weights of its first allocation. */
export type NewExperiment = Pick<
  Experiment,
  | 'id'
  | 'projectId'
  | 'key'
  | 'name'
  | 'hypothesis'
  | 'status'
  | 'primaryGoal'
  | 'prior'
  | 'thresholds'
  | 'banditMode'
  | 'createdBy'
  | 'createdAt'
  | 'startedAt'
> & {
  readonly variants: readonly VariantDefinition[];
  readonly weights: readonly number[];
};

/** Fields a person may change; JSON columns are replaced whole. */
export interface ExperimentPatch {
  readonly name?: string;
  readonly hypothesis?: string | null;
  readonly status?: ExperimentStatus;
  readonly variants?: readonly VariantDefinition[];
  readonly primaryGoal?: string | null;
  readonly prior?: BetaParams | null;
  readonly thresholds?: Thresholds | null;
  readonly banditMode?: BanditMode;
  readonly startedAt?: Date;
  readonly stoppedAt?: Date;
  readonly archivedAt?: Date | null;
}

const json = (value: unknown) => (value === null ? null : JSON.stringify(value));

/** Experiments and their allocation epochs. Every method takes an optional transaction. */
export class ExperimentStore {
  constructor(
    private readonly db: Knex,
    /** Stamps creations, status changes and epochs (see `CountingClock`). */
    private readonly clock: CountingClock,
  ) {}

  /** The time of a change, taken under its project's lock: at least `at`, after every batch. */
  private stamp(at: Date): Date {
    return new Date(this.clock.change(at.getTime()));
  }

  /**
   * Inserts the experiment, its first status and its first allocation epoch in one
   * transaction, unless the project already has one with this key (then nothing is written).
   * Its times are `createdAt` (and `startedAt` when set), moved forward if an earlier counting
   * stamp is later (see `CountingClock`). Returns the project's experiment with this key.
   */
  async insert(experiment: NewExperiment): Promise<{ experiment: Experiment; created: boolean }> {
    return this.db.transaction((trx) => this.insertIn(trx, experiment));
  }

  private async insertIn(
    trx: Knex.Transaction,
    experiment: NewExperiment,
  ): Promise<{ experiment: Experiment; created: boolean }> {
    await lockProject(trx, experiment.projectId);
    const at = this.stamp(experiment.createdAt);
    const inserted: ExperimentRow[] = await trx('experiments')
      .insert({
        id: experiment.id,
        project_id: experiment.projectId,
        key: experiment.key,
        name: experiment.name,
        hypothesis: experiment.hypothesis,
        status: experiment.status,
        variants: JSON.stringify(experiment.variants),
        primary_goal: experiment.primaryGoal,
        prior: json(experiment.prior),
        thresholds: json(experiment.thresholds),
        bandit_mode: experiment.banditMode,
        allocation: JSON.stringify(experiment.weights),
        allocation_version: 1,
        allocation_updated_at: at,
        created_by: experiment.createdBy,
        created_at: at,
        updated_at: at,
        started_at: experiment.startedAt === null ? null : at,
      })
      .onConflict(['project_id', 'key'])
      .ignore()
      .returning('*');
    const row = inserted[0];
    if (row) {
      await trx('experiment_status_changes').insert({
        experiment_id: row.id,
        status: row.status,
        changed_at: at,
      });
      await trx('allocation_epochs').insert({
        experiment_id: row.id,
        version: 1,
        weights: JSON.stringify(experiment.weights),
        started_at: at,
      });
      return { experiment: toExperiment(row), created: true };
    }
    const existing = await this.findByKey(experiment.projectId, experiment.key, trx);
    if (!existing) throw new Error(`experiment ${experiment.key} vanished during insert`);
    return { experiment: existing, created: false };
  }

  async findByKey(
    projectId: string,
    key: string,
    trx: Knex = this.db,
  ): Promise<Experiment | undefined> {
    const row = await trx('experiments').where({ project_id: projectId, key }).first();
    return row ? toExperiment(row) : undefined;
  }

  async findById(id: string, trx: Knex = this.db): Promise<Experiment | undefined> {
    const row = await trx('experiments').where({ id }).first();
    return row ? toExperiment(row) : undefined;
  }

  async findByKeys(
    projectId: string,
    keys: readonly string[],
    trx: Knex = this.db,
  ): Promise<Experiment[]> {
    if (keys.length === 0) return [];
    const rows: ExperimentRow[] = await trx('experiments')
      .where({ project_id: projectId })
      .whereIn('key', keys);
    return rows.map(toExperiment);
  }

  /** The project's experiments, newest first; archived ones only when asked. */
  async list(
    projectId: string,
    options: { statuses?: readonly ExperimentStatus[]; includeArchived?: boolean } = {},
  ): Promise<Experiment[]> {
    const query = this.db('experiments').where({ project_id: projectId });
    if (options.statuses) query.whereIn('status', options.statuses);
    if (!options.includeArchived) query.whereNull('archived_at');
    const rows: ExperimentRow[] = await query.orderBy('created_at', 'desc').orderBy('key');
    return rows.map(toExperiment);
  }

  async update(
    id: string,
    patch: ExperimentPatch,
    trx: Knex = this.db,
  ): Promise<Experiment | undefined> {
    const update: Record<string, unknown> = { updated_at: trx.fn.now() };
    if (patch.name !== undefined) update.name = patch.name;
    if (patch.hypothesis !== undefined) update.hypothesis = patch.hypothesis;
    if (patch.status !== undefined) update.status = patch.status;
    if (patch.variants !== undefined) update.variants = JSON.stringify(patch.variants);
    if (patch.primaryGoal !== undefined) update.primary_goal = patch.primaryGoal;
    if (patch.prior !== undefined) update.prior = json(patch.prior);
    if (patch.thresholds !== undefined) update.thresholds = json(patch.thresholds);
    if (patch.banditMode !== undefined) update.bandit_mode = patch.banditMode;
    if (patch.startedAt !== undefined) update.started_at = patch.startedAt;
    if (patch.stoppedAt !== undefined) update.stopped_at = patch.stoppedAt;
    if (patch.archivedAt !== undefined) update.archived_at = patch.archivedAt;
    const [row] = await trx('experiments').where({ id }).update(update).returning('*');
    return row ? toExperiment(row as ExperimentRow) : undefined;
  }

  /** The experiment's statuses over time, oldest first. */
  async statusChanges(id: string): Promise<{ status: ExperimentStatus; changedAt: Date }[]> {
    const rows: { status: ExperimentStatus; changed_at: Date }[] = await this.db(
      'experiment_status_changes',
    )
      .where({ experiment_id: id })
      .orderBy('changed_at')
      .orderBy('id');
    return rows.map((r) => ({ status: r.status, changedAt: r.changed_at }));
  }

  /**
   * Replaces the allocation if its version is still `expectedVersion` (compare-and-set), and
   * records the new epoch, starting at `requestedAt` or, under the project's lock, at the first
   * counting stamp after it. Returns the new allocation, or undefined when another writer won.
   */
  async replaceAllocation(
    id: string,
    expectedVersion: number,
    weights: readonly number[],
    requestedAt: Date,
  ): Promise<Allocation | undefined> {
    return this.db.transaction((trx) =>
      this.replaceAllocationIn(trx, id, expectedVersion, weights, requestedAt),
    );
  }

  private async replaceAllocationIn(
    trx: Knex.Transaction,
    id: string,
    expectedVersion: number,
    weights: readonly number[],
    requestedAt: Date,
  ): Promise<Allocation | undefined> {
    await lockProjectOfExperiment(trx, id);
    const at = this.stamp(requestedAt);
    const version = expectedVersion + 1;
    const [row] = await trx('experiments')
      .where({ id, allocation_version: expectedVersion })
      .update({
        allocation: JSON.stringify(weights),
        allocation_version: version,
        allocation_updated_at: at,
        updated_at: trx.fn.now(),
      })
      .returning(['allocation_version']);
    if (!row) return undefined;
    await trx('allocation_epochs').insert({
      experiment_id: id,
      version,
      weights: JSON.stringify(weights),
      started_at: at,
    });
    return { weights: [...weights], version, updatedAt: at };
  }

  /** The visitor's counted (first) exposures in these experiments, by experiment ID. */
  async exposedVariants(
    experimentIds: readonly string[],
    visitorId: string,
  ): Promise<Map<string, { variantKey: string; allocationVersion: number }>> {
    if (experimentIds.length === 0) return new Map();
    const rows: { experiment_id: string; variant_key: string; allocation_version: number }[] =
      await this.db('exposures')
        .whereIn('experiment_id', experimentIds)
        .where({ visitor_id: visitorId })
        .select('experiment_id', 'variant_key', 'allocation_version');
    return new Map(
      rows.map((r) => [
        r.experiment_id,
        { variantKey: r.variant_key, allocationVersion: r.allocation_version },
      ]),
    );
  }

  async listEpochs(id: string): Promise<AllocationEpochRecord[]> {
    const rows: { version: number; weights: number[]; started_at: Date }[] = await this.db(
      'allocation_epochs',
    )
      .where({ experiment_id: id })
      .orderBy('version');
    return rows.map((r) => ({ version: r.version, weights: r.weights, startedAt: r.started_at }));
  }

  /**
   * Records that a sample ratio mismatch was detected, once: true for the first caller only
   * (compare-and-set), whichever server computes.
   */
  async markSrmDetected(id: string, at: Date): Promise<boolean> {
    const rows: unknown[] = await this.db('experiments')
      .where({ id })
      .whereNull('srm_detected_at')
      .update({ srm_detected_at: at })
      .returning('id');
    return rows.length === 1;
  }

  /**
   * Stores the latest decision. The status is compare-and-set: returns false (and writes
   * nothing) when another writer changed it since `previousStatus` was read.
   */
  async saveDecision(
    id: string,
    decision: Decision,
    previousStatus: string | null,
    at: Date,
  ): Promise<boolean> {
    const query = this.db('experiments').where({ id });
    if (previousStatus === null) query.whereNull('decision_status');
    else query.where({ decision_status: previousStatus });
    const rows = await query
      .update({
        decision: JSON.stringify(decision),
        decision_status: decision.status,
        decided_at: at,
      })
      .returning('id');
    return rows.length === 1;
  }

  /**
   * Compare-and-set transition: applies `patch`, and `status` when given (recorded in
   * `experiment_status_changes` at `requestedAt` or, under the project's lock, at the first
   * counting stamp after it), only while the experiment still has `expected.status`
   * and is archived or not as `expected.archived` says. The row is locked first, so of two
   * concurrent transitions from the same state exactly one applies. Returns the updated
   * experiment, or undefined when the experiment is gone or no longer in the expected state.
   */
  async transition(
    id: string,
    expected: { readonly status: ExperimentStatus; readonly archived: boolean },
    status: ExperimentStatus | null,
    requestedAt: Date,
    patch: ExperimentPatch = {},
  ): Promise<Experiment | undefined> {
    return this.db.transaction(async (trx) => {
      if (status !== null) await lockProjectOfExperiment(trx, id);
      const at = status === null ? requestedAt : this.stamp(requestedAt);
      const query = trx('experiments').where({ id, status: expected.status }).forUpdate();
      if (expected.archived) query.whereNotNull('archived_at');
      else query.whereNull('archived_at');
      if (!(await query.first('id'))) return undefined;
      const experiment = await this.update(id, status === null ? patch : { ...patch, status }, trx);
      if (experiment && status !== null) {
        await trx('experiment_status_changes').insert({
          experiment_id: id,
          status,
          changed_at: at,
        });
      }
      return experiment;
    });
  }

  /**
   * Replaces the variant list by `variants` (the current arms with new ones appended) and the
   * allocation by `weights`, as one new allocation version and epoch, if the allocation version
   * is still `expectedVersion` and the experiment is neither stopped nor archived
   * (compare-and-set: every change of arms or weights bumps the version); the epoch starts at
   * `requestedAt` or the first counting stamp after it. Returns the updated
   * experiment, or undefined when another writer won or the experiment was stopped meanwhile.
   */
  async replaceVariants(
    id: string,
    expectedVersion: number,
    variants: readonly VariantDefinition[],
    weights: readonly number[],
    requestedAt: Date,
  ): Promise<Experiment | undefined> {
    return this.db.transaction(async (trx) => {
      await lockProjectOfExperiment(trx, id);
      const at = this.stamp(requestedAt);
      const version = expectedVersion + 1;
      const [row] = await trx('experiments')
        .where({ id, allocation_version: expectedVersion })
        .whereIn('status', ['draft', 'running', 'paused'])
        .whereNull('archived_at')
        .update({
          variants: JSON.stringify(variants),
          allocation: JSON.stringify(weights),
          allocation_version: version,
          allocation_updated_at: at,
          updated_at: trx.fn.now(),
        })
        .returning('*');
      if (!row) return undefined;
      await trx('allocation_epochs').insert({
        experiment_id: id,
        version,
        weights: JSON.stringify(weights),
        started_at: at,
      });
      return toExperiment(row as ExperimentRow);
    });
  }
}
