import type { Decision } from '@vibariant/stats';
import { ValidationError } from '../../errors/app-error.js';
import type { ExperimentService } from '../experiments/experiment-service.js';
import type { Experiment, ExperimentStore } from '../experiments/experiment-store.js';
import type { GoalStore } from '../goals/goal-store.js';
import { type CompactDecision, compactDecision } from './compact-decision.js';
import type { DecisionService } from './decision-service.js';
import type { DecisionStore } from './decision-store.js';

/** The experiment as results describe it. */
export type ResultsExperiment = Pick<
  Experiment,
  | 'key'
  | 'name'
  | 'hypothesis'
  | 'status'
  | 'variants'
  | 'primaryGoal'
  | 'banditMode'
  | 'allocation'
  | 'startedAt'
  | 'stoppedAt'
  | 'archivedAt'
>;

/** `GET …/results`: a decision computed now from the sufficient statistics. */
export interface ExperimentResults {
  readonly experiment: ResultsExperiment;
  /** The goal the decision is about; null while no goal applies (conversions all 0). */
  readonly goal: string | null;
  readonly decision: Decision;
}

/** One stored decision snapshot, without density curves. */
export interface DecisionHistoryEntry {
  readonly takenAt: Date;
  readonly goal: string | null;
  readonly status: string;
  readonly decision: CompactDecision;
}

/** One allocation epoch: the weights in force from `startedAt` until `endedAt`. */
export interface AllocationEpochView {
  readonly version: number;
  readonly startedAt: Date;
  /** When the next version took over; null for the version in force. */
  readonly endedAt: Date | null;
  /**
   * Every current arm in variant order: its weight in this epoch (0 for arms added later) and
   * the visitors first exposed to it while this version was in force.
   */
  readonly variants: { key: string; weight: number; visitors: number }[];
  readonly visitors: number;
}

/**
 * What a client watching an experiment starts from: the experiment, its latest stored decision
 * (with density curves) and its recent decision history.
 */
export interface ExperimentLiveState {
  readonly experiment: ResultsExperiment & { readonly id: string };
  readonly decision: Decision | null;
  readonly snapshots: DecisionHistoryEntry[];
}

/** Snapshots a live state carries: the last 100 (about the last hour and a half at most). */
const LIVE_SNAPSHOTS = 100;

/** Most decision snapshots one history request returns. */
export const MAX_HISTORY = 1000;

/**
 * Read-only views of an experiment's results: the decision for any goal of the project, the
 * decision history and the allocation history with visitors per epoch. Reads sufficient
 * statistics only (O(variants x epochs) rows), never raw events.
 */
export class ResultsService {
  constructor(
    private readonly experiments: ExperimentService,
    private readonly experimentStore: ExperimentStore,
    private readonly goals: GoalStore,
    private readonly decisions: DecisionService,
    private readonly stats: DecisionStore,
  ) {}

  /**
   * The decision computed now for `goal`, or by default for the experiment's decision goal
   * (its primary goal, else the confirmed goal with the most conversions). Any goal of the
   * project may be asked for, confirmed or not: conversions are kept per goal from the start.
   * @throws NotFoundError (404) when the project has no such experiment.
   * @throws ValidationError (400, field `goal`) when `goal` is given but the project has no
   *   such goal.
   */
  async results(projectId: string, key: string, goal?: string): Promise<ExperimentResults> {
    const experiment = await this.experiments.get(projectId, key);
    if (goal !== undefined && !(await this.goals.find(projectId, goal))) {
      throw new ValidationError('goal', `goal: the project has no goal '${goal}'`, { goal });
    }
    const computed = await this.decisions.compute(experiment, goal);
    return { experiment: describe(experiment), goal: computed.goal, decision: computed.decision };
  }

  /**
   * The experiment's stored decision snapshots, oldest first, at most `limit` (1 to 1000) of the
   * latest ones. A snapshot is taken whenever the decision's status changes, and at most once a
   * minute otherwise.
   * @throws NotFoundError (404) when the project has no such experiment.
   */
  async history(
    projectId: string,
    key: string,
    limit = MAX_HISTORY,
  ): Promise<DecisionHistoryEntry[]> {
    const experiment = await this.experiments.get(projectId, key);
    const snapshots = await this.decisions.history(experiment, limit);
    return snapshots.map((s) => ({
      takenAt: s.takenAt,
      goal: s.goal,
      status: s.status,
      decision: compactDecision(s.decision),
    }));
  }

  /**
   * The live state of an experiment (what joining its room answers): no computation, only the
   * stored decision and the last 100 snapshots.
   * @throws NotFoundError (404) when the project has no such experiment.
   */
  async liveState(projectId: string, key: string): Promise<ExperimentLiveState> {
    const experiment = await this.experiments.get(projectId, key);
    return {
      experiment: { id: experiment.id, ...describe(experiment) },
      decision: experiment.decision,
      snapshots: await this.history(projectId, key, LIVE_SNAPSHOTS),
    };
  }

  /**
   * The experiment's allocation versions, oldest first, with the visitors first exposed under
   * each (the SRM guard's expected counts come from these).
   * @throws NotFoundError (404) when the project has no such experiment.
   */
  async allocations(projectId: string, key: string): Promise<AllocationEpochView[]> {
    const experiment = await this.experiments.get(projectId, key);
    const epochs = await this.experimentStore.listEpochs(experiment.id);
    const { visitorsByVersion } = await this.stats.readStats(experiment.id, null);
    return epochs.map((epoch, i) => {
      const visitors = visitorsByVersion.get(epoch.version);
      const variants = experiment.variants.map((v, index) => ({
        key: v.key,
        weight: epoch.weights[index] ?? 0,
        visitors: visitors?.get(v.key) ?? 0,
      }));
      return {
        version: epoch.version,
        startedAt: epoch.startedAt,
        endedAt: epochs[i + 1]?.startedAt ?? null,
        variants,
        visitors: variants.reduce((sum, v) => sum + v.visitors, 0),
      };
    });
  }
}

function describe(e: Experiment): ResultsExperiment {
  return {
    key: e.key,
    name: e.name,
    hypothesis: e.hypothesis,
    status: e.status,
    variants: e.variants,
    primaryGoal: e.primaryGoal,
    banditMode: e.banditMode,
    allocation: e.allocation,
    startedAt: e.startedAt,
    stoppedAt: e.stoppedAt,
    archivedAt: e.archivedAt,
  };
}
