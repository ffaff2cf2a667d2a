import type { DomainEvents } from '../../domain-events.js';
import { NotFoundError } from '../../errors/app-error.js';
import type { DecisionService } from '../decisions/decision-service.js';
import type { ExperimentStore } from '../experiments/experiment-store.js';
import type { Goal, GoalStatus, GoalStore } from './goal-store.js';

/** A goal with its counts across the project's experiments. */
export interface GoalWithCounts extends Goal {
  /** Converted visitors (first conversion per experiment and visitor, after exposure), summed. */
  readonly convertedVisitors: number;
  /** Experiments with at least one converted visitor on this goal. */
  readonly experiments: number;
}

/**
 * A project's goals: candidates proposed by the SDK's heuristics, goals named in code, and a
 * person's verdict on each (confirm or reject). Conversions are kept per goal from the first
 * event, whatever the verdict, so confirming a goal makes its results available at once.
 */
export class GoalService {
  constructor(
    private readonly goals: GoalStore,
    private readonly experiments: ExperimentStore,
    private readonly decisions: DecisionService,
    private readonly events: DomainEvents,
  ) {}

  /**
   * The project's goals, most events first, optionally of one status, with their counts:
   * `events` (every event naming the goal, every visitor, every time) and `convertedVisitors`.
   */
  async list(
    projectId: string,
    filter: { status?: GoalStatus | undefined } = {},
  ): Promise<GoalWithCounts[]> {
    const goals = await this.goals.list(projectId, filter.status ? { status: filter.status } : {});
    const totals = await this.goals.conversionTotals(projectId);
    return goals.map((g) => withCounts(g, totals.get(g.key)));
  }

  /**
   * One goal with its counts.
   * @throws NotFoundError (404) when the project has no such goal.
   */
  async get(projectId: string, key: string): Promise<GoalWithCounts> {
    const goal = await this.goals.find(projectId, key);
    if (!goal) throw new NotFoundError('goal', key);
    const totals = await this.goals.conversionTotals(projectId, [key]);
    return withCounts(goal, totals.get(key));
  }

  /**
   * Confirms a goal (idempotent): it becomes eligible as the decision goal of experiments
   * without a primary goal, and the SDK's configuration lists it.
   * @throws NotFoundError (404) when the project has no such goal.
   */
  confirm(projectId: string, key: string): Promise<GoalWithCounts> {
    return this.setStatus(projectId, key, 'confirmed');
  }

  /**
   * Rejects a goal (idempotent): it is no longer a decision goal by default; its conversions are
   * still kept and can be asked for by name.
   * @throws NotFoundError (404) when the project has no such goal.
   */
  reject(projectId: string, key: string): Promise<GoalWithCounts> {
    return this.setStatus(projectId, key, 'rejected');
  }

  /**
   * Sets the verdict, then schedules a decision recompute of the project's running and paused
   * experiments without a primary goal, whose decision goal (the confirmed goal with the most
   * conversions) may have changed. The recomputes run in the background.
   */
  private async setStatus(
    projectId: string,
    key: string,
    status: GoalStatus,
  ): Promise<GoalWithCounts> {
    const goal = await this.goals.setStatus(projectId, key, status);
    if (!goal) throw new NotFoundError('goal', key);
    this.events.emit('goal:updated', { projectId, goal });
    const live = await this.experiments.list(projectId, { statuses: ['running', 'paused'] });
    for (const experiment of live) {
      if (experiment.primaryGoal === null) void this.decisions.schedule(experiment.id);
    }
    const totals = await this.goals.conversionTotals(projectId, [key]);
    return withCounts(goal, totals.get(key));
  }
}

function withCounts(
  goal: Goal,
  totals: { convertedVisitors: number; experiments: number } | undefined,
): GoalWithCounts {
  return {
    ...goal,
    convertedVisitors: totals?.convertedVisitors ?? 0,
    experiments: totals?.experiments ?? 0,
  };
}
