/**
 * Audit and repair of the sufficient statistics: an independent recount from the raw event log.
 *
 * Ingestion updates `variant_exposure_stats` and `variant_goal_stats` incrementally, one batch at
 * a time. This module recomputes the same numbers from scratch, from `events`,
 * `experiment_status_changes` and `allocation_epochs` only, with its own code (nothing from
 * `features/ingestion` is called), so a bug in the incremental path shows up as a difference.
 *
 * Rules, replayed in the order `received_at, occurred_at, event_id` (one batch shares one
 * `received_at`), bot events skipped:
 *
 * 1. An exposure counts for the project's experiment with its `experiment_key` when that
 *    experiment was `running` at the event's `received_at` (the latest status change at or before
 *    it; a code-first experiment's 'running' change carries exactly its creating batch's
 *    `received_at`) and names one of the variants the experiment had then: the first n of its
 *    current variants, n being the number of weights of the allocation epoch in force (arms are
 *    only appended, and every change of arms starts a new epoch).
 * 2. Its allocation version: the epoch in force at `received_at` (the highest version whose
 *    `started_at` is strictly before it; the lowest version when none is, as for the batch that
 *    created the experiment), unless the payload's `allocationVersion` is lower or equal and
 *    the variant was already an arm in it, which then wins, or is 0 (the SDK assigned with equal
 *    weights, having no configuration), which also wins. This is ingestion's rule ("the
 *    version the SDK claims, when the variant was an arm in it and it is not above the version
 *    at that time, or 0") with the version at that time read from the epochs.
 * 3. The first counted exposure per (experiment, visitor) in replay order is the visitor's: +1
 *    visitor for (variant, version). Within a batch the earliest `occurred_at` comes first, ties
 *    broken by `event_id` (byte order), as ingestion breaks them. A
 *    later counted exposure naming another variant adds 1 to `conflicting_exposures` of the
 *    variant it names, under its own version; one naming the same variant changes nothing.
 * 4. A conversion (`conversion` with its goal, restricted to the payload's `experiment` when
 *    given) or a `goal_candidate` counts for every experiment whose first exposure of the visitor
 *    was received in the same or an earlier batch and has `exposed_at <= occurred_at`, while that
 *    experiment is `running` or `paused` at the conversion's `received_at`; once per
 *    (experiment, visitor, goal), under the variant of the first exposure.
 *
 * Why the replay in `received_at` order reproduces the live counts: ingestion counts batches
 * that share a visitor one after the other, and `CountingClock` with the project lock orders
 * batches and changes (creation, status changes, allocation epochs): a batch stamped after a
 * change saw it, one stamped before did not, and no two of them share a stamp within a process.
 * Two exposures of one visitor in one batch at the same `occurred_at` are ordered by event ID on
 * both sides.
 *
 * What it cannot reproduce: several server processes stamp with their own clocks, so batches
 * or changes counted on different processes a few milliseconds apart can replay in another
 * order. For such ties, status changes at `received_at` are taken as in force and epochs
 * starting exactly at `received_at` as not yet in force.
 */
import { NotFoundError } from '../../errors/app-error.js';
import type {
  EpochStart,
  ExposureStatRow,
  GoalStatRow,
  LogEvent,
  RecountExperiment,
  RecountStore,
  RecountTransaction,
  StatusChange,
} from './recount-store.js';

/** Counts of one `variant_exposure_stats` row (a missing row counts as zeros). */
export interface ExposureCounts {
  readonly visitors: number;
  readonly conflictingExposures: number;
}

/** Counts of one `variant_goal_stats` row (a missing row counts as zero). */
export interface GoalCounts {
  readonly conversions: number;
}

/** One row of `variant_exposure_stats` whose stored counts differ from the recount. */
export interface ExposureStatDifference {
  readonly table: 'variant_exposure_stats';
  readonly key: {
    readonly experimentId: string;
    readonly experimentKey: string;
    readonly variantKey: string;
    readonly allocationVersion: number;
  };
  readonly stored: ExposureCounts;
  readonly recounted: ExposureCounts;
}

/** One row of `variant_goal_stats` whose stored count differs from the recount. */
export interface GoalStatDifference {
  readonly table: 'variant_goal_stats';
  readonly key: {
    readonly experimentId: string;
    readonly experimentKey: string;
    readonly variantKey: string;
    readonly goalKey: string;
  };
  readonly stored: GoalCounts;
  readonly recounted: GoalCounts;
}

/** A difference between the stored sufficient statistics and the recount. */
export type StatsDifference = ExposureStatDifference | GoalStatDifference;

/** The recount of one experiment. Rows with only zero counts are left out. */
export interface ExperimentRecount {
  readonly experimentId: string;
  readonly experimentKey: string;
  /** Recounted `variant_exposure_stats` rows, by variant then version. */
  readonly exposures: ExposureStatRow[];
  /** Recounted `variant_goal_stats` rows, by variant then goal. */
  readonly goals: GoalStatRow[];
  /** Rows where the stored statistics differ from the recount, sorted by table and key. */
  readonly differences: StatsDifference[];
}

/** The outcome of {@link RecountService.audit} or {@link RecountService.repair}. */
export interface RecountReport {
  readonly projectId: string;
  /** The one experiment audited, or null for the whole project. */
  readonly experimentKey: string | null;
  /** Human exposures, conversions and goal candidates read from the log. */
  readonly eventsReplayed: number;
  /** Every audited experiment, by key. */
  readonly experiments: ExperimentRecount[];
  /** All experiments' differences together (found before any repair). */
  readonly differences: StatsDifference[];
  /** True when the differing experiments' statistics were rewritten from the recount. */
  readonly repaired: boolean;
}

/** What the recount needs of the decision service: a way to ask for a recompute. */
export interface DecisionScheduler {
  schedule(experimentId: string): Promise<void>;
}

/** The winner of an (experiment, visitor) pair: its first counted exposure. */
interface FirstExposure {
  readonly experiment: ExperimentTimeline;
  readonly variantKey: string;
  /** ms since the epoch */
  readonly exposedAt: number;
  /** ms since the epoch: the batch it arrived in */
  readonly receivedAt: number;
}

/** An experiment with its status and allocation histories prepared for O(log n) lookups. */
class ExperimentTimeline {
  private readonly statusTimes: number[];
  private readonly statuses: string[];
  private readonly epochTimes: number[];
  /** Highest version among the epochs up to each index of `epochTimes` (by start time). */
  private readonly epochMaxVersion: number[];
  private readonly firstVersion: number;
  private readonly armsByVersion: ReadonlyMap<number, number>;
  private readonly variantIndex: ReadonlyMap<string, number>;

  constructor(
    readonly experiment: RecountExperiment,
    changes: readonly StatusChange[],
    epochs: readonly EpochStart[],
  ) {
    // The store returns changes oldest first, ties in insertion order: keep that order.
    this.statusTimes = changes.map((c) => c.changedAt);
    this.statuses = changes.map((c) => c.status);
    const byStart = [...epochs].sort((a, b) => a.startedAt - b.startedAt || a.version - b.version);
    this.epochTimes = byStart.map((e) => e.startedAt);
    let max = 0;
    this.epochMaxVersion = byStart.map((e) => {
      max = Math.max(max, e.version);
      return max;
    });
    this.firstVersion = epochs.reduce(
      (min, e) => Math.min(min, e.version),
      epochs[0]?.version ?? 1,
    );
    this.armsByVersion = new Map(epochs.map((e) => [e.version, e.arms]));
    this.variantIndex = new Map(experiment.variantKeys.map((k, i) => [k, i]));
  }

  /** The status at `at` (ms): the latest change at or before it, undefined before the first. */
  statusAt(at: number): string | undefined {
    const i = lastIndexWhere(this.statusTimes, (t) => t <= at);
    return i < 0 ? undefined : this.statuses[i];
  }

  /** The allocation version in force at `at` (ms): see rule 2 in the module comment. */
  versionAt(at: number): number {
    const i = lastIndexWhere(this.epochTimes, (t) => t < at);
    return i < 0 ? this.firstVersion : (this.epochMaxVersion[i] ?? this.firstVersion);
  }

  /**
   * Whether `variantKey` was an arm under allocation `version`: one of the first n current
   * variants, n the epoch's number of weights (all current variants when the epoch is unknown).
   */
  hasVariant(variantKey: string, version: number): boolean {
    const index = this.variantIndex.get(variantKey) ?? -1;
    const arms = this.armsByVersion.get(version) ?? this.experiment.variantKeys.length;
    return index >= 0 && index < arms;
  }
}

/** Index of the last element of a sorted array satisfying a prefix-closed predicate, or -1. */
function lastIndexWhere(sorted: readonly number[], holds: (value: number) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (holds(sorted[mid] as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

const SEP = '\n';

/**
 * The replay itself, in memory and free of I/O: feed every exposure in replay order, then every
 * conversion and goal candidate in replay order, then read {@link result}. The caller supplies
 * the experiments, their status changes (per experiment oldest first) and allocation epochs.
 *
 * Complexity: O(log S + log A) per exposure (binary searches over the experiment's S status
 * changes and A epochs), O(X log S) per conversion for a visitor first-exposed in X experiments;
 * memory O(P + C) for P (experiment, visitor) pairs and C counted conversions.
 * @throws Error when an exposure is fed after a conversion (the rules need every exposure of a
 *   batch before its conversions).
 */
export class StatsReplay {
  private readonly byKey = new Map<string, ExperimentTimeline>();
  private readonly first = new Map<string, FirstExposure>();
  private readonly firstByVisitor = new Map<string, FirstExposure[]>();
  private readonly converted = new Set<string>();
  private readonly exposureCounts = new Map<string, ExposureStatRow>();
  private readonly goalCounts = new Map<string, GoalStatRow>();
  private inConversions = false;
  /** Events fed so far. */
  events = 0;

  constructor(
    experiments: readonly RecountExperiment[],
    changes: readonly StatusChange[],
    epochs: readonly EpochStart[],
  ) {
    for (const experiment of experiments) {
      this.byKey.set(
        experiment.key,
        new ExperimentTimeline(
          experiment,
          changes.filter((c) => c.experimentId === experiment.id),
          epochs.filter((e) => e.experimentId === experiment.id),
        ),
      );
    }
  }

  /** Applies one exposure (rules 1 to 3). Events of unknown experiments are ignored. */
  exposure(event: LogEvent): void {
    if (this.inConversions) throw new Error('exposures must all be replayed before conversions');
    this.events++;
    if (event.experimentKey === null || event.variantKey === null) return;
    const timeline = this.byKey.get(event.experimentKey);
    if (timeline?.statusAt(event.receivedAt) !== 'running') return;
    const inForce = timeline.versionAt(event.receivedAt);
    if (!timeline.hasVariant(event.variantKey, inForce)) return;
    const claimed = event.allocationVersion;
    // A claimed version counts only if the variant was an arm in it.
    const version =
      claimed === 0 ||
      (claimed !== null &&
        claimed >= 1 &&
        claimed <= inForce &&
        timeline.hasVariant(event.variantKey, claimed))
        ? (claimed as number)
        : inForce;
    const pair = timeline.experiment.id + SEP + event.visitorId;
    const winner = this.first.get(pair);
    if (!winner) {
      const exposure: FirstExposure = {
        experiment: timeline,
        variantKey: event.variantKey,
        exposedAt: event.occurredAt,
        receivedAt: event.receivedAt,
      };
      this.first.set(pair, exposure);
      const list = this.firstByVisitor.get(event.visitorId);
      if (list) list.push(exposure);
      else this.firstByVisitor.set(event.visitorId, [exposure]);
      this.bumpExposure(timeline.experiment.id, event.variantKey, version, 1, 0);
    } else if (winner.variantKey !== event.variantKey) {
      this.bumpExposure(timeline.experiment.id, event.variantKey, version, 0, 1);
    }
  }

  /** Applies one conversion or goal candidate (rule 4). Other event types are ignored. */
  conversion(event: LogEvent): void {
    this.inConversions = true;
    this.events++;
    if (event.goalKey === null) return;
    if (event.type !== 'conversion' && event.type !== 'goal_candidate') return;
    const restrictedTo = event.type === 'conversion' ? event.experimentKey : null;
    for (const exposure of this.firstByVisitor.get(event.visitorId) ?? []) {
      const { experiment } = exposure.experiment;
      if (restrictedTo !== null && experiment.key !== restrictedTo) continue;
      if (exposure.receivedAt > event.receivedAt || exposure.exposedAt > event.occurredAt) continue;
      const status = exposure.experiment.statusAt(event.receivedAt);
      if (status !== 'running' && status !== 'paused') continue;
      const triple = experiment.id + SEP + event.visitorId + SEP + event.goalKey;
      if (this.converted.has(triple)) continue;
      this.converted.add(triple);
      const key = experiment.id + SEP + exposure.variantKey + SEP + event.goalKey;
      const old = this.goalCounts.get(key);
      this.goalCounts.set(key, {
        experimentId: experiment.id,
        variantKey: exposure.variantKey,
        goalKey: event.goalKey,
        conversions: (old?.conversions ?? 0) + 1,
      });
    }
  }

  /** The recounted rows of one experiment, sorted by variant then version or goal. */
  result(experimentId: string): { exposures: ExposureStatRow[]; goals: GoalStatRow[] } {
    const exposures = [...this.exposureCounts.values()]
      .filter((r) => r.experimentId === experimentId)
      .sort(
        (a, b) => compare(a.variantKey, b.variantKey) || a.allocationVersion - b.allocationVersion,
      );
    const goals = [...this.goalCounts.values()]
      .filter((r) => r.experimentId === experimentId)
      .sort((a, b) => compare(a.variantKey, b.variantKey) || compare(a.goalKey, b.goalKey));
    return { exposures, goals };
  }

  private bumpExposure(
    experimentId: string,
    variantKey: string,
    allocationVersion: number,
    visitors: number,
    conflicts: number,
  ): void {
    const key = experimentId + SEP + variantKey + SEP + allocationVersion;
    const old = this.exposureCounts.get(key);
    this.exposureCounts.set(key, {
      experimentId,
      variantKey,
      allocationVersion,
      visitors: (old?.visitors ?? 0) + visitors,
      conflictingExposures: (old?.conflictingExposures ?? 0) + conflicts,
    });
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The stored rows compared with the recounted ones, key by key (a missing row is zeros).
 * O(rows log rows).
 */
export function diffStats(
  experiment: { id: string; key: string },
  stored: { exposures: readonly ExposureStatRow[]; goals: readonly GoalStatRow[] },
  recounted: { exposures: readonly ExposureStatRow[]; goals: readonly GoalStatRow[] },
): StatsDifference[] {
  const differences: StatsDifference[] = [];
  const exposureKey = (r: ExposureStatRow) => r.variantKey + SEP + r.allocationVersion;
  const storedExposures = new Map(stored.exposures.map((r) => [exposureKey(r), r]));
  const recountedExposures = new Map(recounted.exposures.map((r) => [exposureKey(r), r]));
  const exposureKeys = new Set([...storedExposures.keys(), ...recountedExposures.keys()]);
  for (const k of exposureKeys) {
    const s = storedExposures.get(k);
    const r = recountedExposures.get(k);
    const row = (s ?? r) as ExposureStatRow;
    const storedCounts = {
      visitors: s?.visitors ?? 0,
      conflictingExposures: s?.conflictingExposures ?? 0,
    };
    const recountedCounts = {
      visitors: r?.visitors ?? 0,
      conflictingExposures: r?.conflictingExposures ?? 0,
    };
    if (
      storedCounts.visitors === recountedCounts.visitors &&
      storedCounts.conflictingExposures === recountedCounts.conflictingExposures
    ) {
      continue;
    }
    differences.push({
      table: 'variant_exposure_stats',
      key: {
        experimentId: experiment.id,
        experimentKey: experiment.key,
        variantKey: row.variantKey,
        allocationVersion: row.allocationVersion,
      },
      stored: storedCounts,
      recounted: recountedCounts,
    });
  }
  const goalKey = (r: GoalStatRow) => r.variantKey + SEP + r.goalKey;
  const storedGoals = new Map(stored.goals.map((r) => [goalKey(r), r]));
  const recountedGoals = new Map(recounted.goals.map((r) => [goalKey(r), r]));
  for (const k of new Set([...storedGoals.keys(), ...recountedGoals.keys()])) {
    const s = storedGoals.get(k);
    const r = recountedGoals.get(k);
    const row = (s ?? r) as GoalStatRow;
    if ((s?.conversions ?? 0) === (r?.conversions ?? 0)) continue;
    differences.push({
      table: 'variant_goal_stats',
      key: {
        experimentId: experiment.id,
        experimentKey: experiment.key,
        variantKey: row.variantKey,
        goalKey: row.goalKey,
      },
      stored: { conversions: s?.conversions ?? 0 },
      recounted: { conversions: r?.conversions ?? 0 },
    });
  }
  return differences.sort(compareDifferences);
}

function compareDifferences(a: StatsDifference, b: StatsDifference): number {
  if (a.table !== b.table) return a.table === 'variant_exposure_stats' ? -1 : 1;
  const byVariant = compare(a.key.variantKey, b.key.variantKey);
  if (byVariant !== 0) return byVariant;
  if (a.table === 'variant_exposure_stats' && b.table === 'variant_exposure_stats') {
    return a.key.allocationVersion - b.key.allocationVersion;
  }
  if (a.table === 'variant_goal_stats' && b.table === 'variant_goal_stats') {
    return compare(a.key.goalKey, b.key.goalKey);
  }
  return 0;
}

/** Options of an audit or repair. */
export interface RecountOptions {
  /** Audit only the experiment with this key (default: every experiment of the project). */
  readonly experimentKey?: string | undefined;
}

/**
 * Audits and repairs the sufficient statistics of a project's experiments by replaying the raw
 * event log (see the module comment for the rules and their limits).
 *
 * Complexity: O(E) events read and replayed for the project (O(E log E) for the database to sort
 * them; pages of 5,000 are streamed), memory O(P + C) (see {@link StatsReplay}). This is the
 * audit tool, never the hot path: ingestion and decisions do not call it.
 */
export class RecountService {
  constructor(
    private readonly store: RecountStore,
    private readonly decisions: DecisionScheduler,
  ) {}

  /**
   * Recounts and compares, writing nothing.
   * @throws NotFoundError when the project, or the experiment named in `options`, does not exist.
   */
  audit(projectId: string, options: RecountOptions = {}): Promise<RecountReport> {
    return this.store.snapshot((tx) => this.recount(tx, projectId, options, false));
  }

  /**
   * Recounts, compares and rewrites the statistics of every experiment with differences from the
   * recount, all in one transaction that keeps ingestion from committing counts meanwhile; then
   * schedules a decision recompute for each rewritten experiment (not awaited: see
   * `DecisionService.whenIdle`). The report lists the differences found before the rewrite.
   * Only the two statistics tables are rewritten: `exposures` and `conversions` rows, which
   * ingestion consults for later batches, are left as they are.
   * @throws NotFoundError when the project, or the experiment named in `options`, does not exist.
   */
  async repair(projectId: string, options: RecountOptions = {}): Promise<RecountReport> {
    const report = await this.store.exclusive((tx) => this.recount(tx, projectId, options, true));
    for (const experiment of report.experiments) {
      if (experiment.differences.length > 0) void this.decisions.schedule(experiment.experimentId);
    }
    return report;
  }

  private async recount(
    tx: RecountTransaction,
    projectId: string,
    options: RecountOptions,
    repair: boolean,
  ): Promise<RecountReport> {
    if (!(await tx.projectExists(projectId))) throw new NotFoundError('project', projectId);
    const key = options.experimentKey;
    const experiments = await tx.experiments(projectId, key);
    if (key !== undefined && experiments.length === 0) throw new NotFoundError('experiment', key);
    const ids = experiments.map((e) => e.id);
    const replay = new StatsReplay(
      experiments,
      await tx.statusChanges(ids),
      await tx.allocationEpochs(ids),
    );
    for await (const event of tx.exposures(projectId, key)) replay.exposure(event);
    for await (const event of tx.conversions(projectId, key)) replay.conversion(event);

    const stored = await tx.storedStats(ids);
    const results: ExperimentRecount[] = [];
    for (const experiment of experiments) {
      const recounted = replay.result(experiment.id);
      const differences = diffStats(
        experiment,
        {
          exposures: stored.exposures.filter((r) => r.experimentId === experiment.id),
          goals: stored.goals.filter((r) => r.experimentId === experiment.id),
        },
        recounted,
      );
      if (repair && differences.length > 0) {
        await tx.replaceStats(experiment.id, recounted.exposures, recounted.goals);
      }
      results.push({
        experimentId: experiment.id,
        experimentKey: experiment.key,
        ...recounted,
        differences,
      });
    }
    return {
      projectId,
      experimentKey: key ?? null,
      eventsReplayed: replay.events,
      experiments: results,
      differences: results.flatMap((r) => r.differences),
      repaired: repair && results.some((r) => r.differences.length > 0),
    };
  }
}
