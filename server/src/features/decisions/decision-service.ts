import { type AllocationEpoch, type Decision, decide, type Projection } from '@vibariant/stats';
import type { Logger } from 'pino';
import type { DomainEvents } from '../../domain-events.js';
import type { Experiment, ExperimentStore } from '../experiments/experiment-store.js';
import type { NotificationService } from '../notifications/notification-service.js';
import type { DecisionSnapshot, DecisionStore } from './decision-store.js';

/** Decision statuses the team is notified of, when an experiment reaches them. */
const NOTIFIED_STATUSES: ReadonlySet<string> = new Set(['ready_to_ship', 'practically_equivalent']);

export interface DecisionServiceOptions {
  /** Least time between two snapshots with the same status, in milliseconds. */
  readonly snapshotIntervalMs?: number;
  /** Least time between two bandit allocation updates, in milliseconds. */
  readonly allocationIntervalMs?: number;
  /** Least time between two projections of the visitors still needed, in milliseconds. */
  readonly projectionIntervalMs?: number;
  /**
   * Least time between two recomputes of one experiment, in milliseconds: the first after a
   * quiet spell runs at once, later ones wait for the interval, and every batch arriving
   * meanwhile is decided together (0: no wait). Default 50: twice the pace of live pushes.
   */
  readonly debounceMs?: number;
  /** Told how long each recompute took, in seconds (the server's metrics). */
  readonly onRecompute?: (seconds: number) => void;
}

/** A decision and the goal it is about (null: no goal has conversions yet). */
export interface GoalDecision {
  readonly goal: string | null;
  readonly decision: Decision;
}

const MINUTE = 60_000;

/**
 * Keeps each experiment's decision current. After a batch changes an experiment's sufficient
 * statistics it recomputes the decision from them with `@vibariant/stats` (O(variants)), stores
 * it, takes a snapshot on every status change and at most once a minute otherwise, moves the
 * bandit allocation at most once a minute, and notifies when a variant becomes ready to ship.
 * Recomputes of one experiment never overlap; requests that arrive meanwhile coalesce into one.
 */
export class DecisionService {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly pending = new Set<string>();
  private readonly lastSnapshot = new Map<string, number>();
  /** When each experiment's projection was last computed, and for which settings. */
  private readonly lastProjection = new Map<string, { at: number; settings: string }>();
  private readonly snapshotIntervalMs: number;
  private readonly allocationIntervalMs: number;
  private readonly projectionIntervalMs: number;
  private readonly debounceMs: number;
  private readonly onRecompute: (seconds: number) => void;
  /** When each experiment's latest recompute started (milliseconds, this process's clock). */
  private readonly lastStart = new Map<string, number>();

  constructor(
    private readonly store: DecisionStore,
    private readonly experiments: ExperimentStore,
    private readonly events: DomainEvents,
    private readonly notifications: NotificationService,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    options: DecisionServiceOptions = {},
  ) {
    this.snapshotIntervalMs = options.snapshotIntervalMs ?? MINUTE;
    this.allocationIntervalMs = options.allocationIntervalMs ?? MINUTE;
    this.projectionIntervalMs = options.projectionIntervalMs ?? MINUTE;
    this.debounceMs = options.debounceMs ?? 50;
    this.onRecompute = options.onRecompute ?? (() => {});
  }

  /** Subscribes to `stats:changed`; returns the unsubscribe function. */
  start(): () => void {
    return this.events.on('stats:changed', ({ experimentIds }) => {
      for (const id of experimentIds) void this.schedule(id);
    });
  }

  /**
   * Recomputes the experiment's decision soon: at once when none is running for it, else once
   * more after the running one. Never rejects (failures are logged).
   */
  schedule(experimentId: string): Promise<void> {
    const running = this.inFlight.get(experimentId);
    if (running) {
      this.pending.add(experimentId);
      return running;
    }
    const run = (async () => {
      do {
        // Leading edge at once; after that, at most one recompute per interval, however many
        // batches arrive (real time: the pace of this process, not the domain clock).
        const wait = (this.lastStart.get(experimentId) ?? -Infinity) + this.debounceMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.lastStart.set(experimentId, Date.now());
        this.pending.delete(experimentId);
        try {
          const started = performance.now();
          await this.refresh(experimentId);
          this.onRecompute((performance.now() - started) / 1000);
        } catch (err) {
          this.logger.error({ err, experimentId }, 'decision recompute failed');
        }
      } while (this.pending.has(experimentId));
      this.inFlight.delete(experimentId);
    })();
    this.inFlight.set(experimentId, run);
    return run;
  }

  /** Resolves when no recompute is running or queued. */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  /**
   * The decision for `goal` (default: the experiment's decision goal) from the current
   * sufficient statistics, without storing anything. `projection` as in `decide` (default:
   * computed).
   */
  async compute(
    experiment: Experiment,
    goal?: string | null,
    projection: boolean | Projection = true,
  ): Promise<GoalDecision> {
    const goalKey = goal === undefined ? await this.decisionGoal(experiment) : goal;
    const stats = await this.store.readStats(experiment.id, goalKey);
    const keys = experiment.variants.map((v) => v.key);
    const epochs = await this.experiments.listEpochs(experiment.id);
    const allocationEpochs: AllocationEpoch[] = [];
    // Version 0: visitors the SDK assigned with equal weights, before it had a configuration.
    const unconfigured = stats.visitorsByVersion.get(0);
    if (unconfigured) {
      allocationEpochs.push({
        weights: keys.map(() => 1 / keys.length),
        visitors: keys.map((k) => unconfigured.get(k) ?? 0),
      });
    }
    for (const epoch of epochs) {
      const visitors = stats.visitorsByVersion.get(epoch.version);
      if (!visitors) continue;
      allocationEpochs.push({
        // Arms added later have no weight in earlier epochs.
        weights: keys.map((_, i) => epoch.weights[i] ?? 0),
        visitors: keys.map((k) => visitors.get(k) ?? 0),
      });
    }
    const history =
      experiment.prior === null
        ? await this.store.historicalRates(experiment.projectId, experiment.id)
        : null;
    const decision = decide({
      variants: keys.map((key) => ({
        key,
        visitors: stats.visitors.get(key) ?? 0,
        conversions: stats.conversions.get(key) ?? 0,
      })),
      prior: experiment.prior,
      history,
      ...(experiment.thresholds ? { thresholds: experiment.thresholds } : {}),
      bandit: experiment.banditMode,
      allocationEpochs: allocationEpochs.length > 0 ? allocationEpochs : null,
      projection,
    });
    return { goal: goalKey, decision };
  }

  /** The experiment's decision history (snapshots, oldest first), at most `limit` of them. */
  history(experiment: Experiment, limit = 1000): Promise<DecisionSnapshot[]> {
    return this.store.listSnapshots(experiment.id, limit);
  }

  /**
   * The goal decisions are about: the primary goal when set, else the confirmed goal with the
   * most conversions in this experiment, else null.
   */
  decisionGoal(experiment: Experiment): Promise<string | null> {
    if (experiment.primaryGoal !== null) return Promise.resolve(experiment.primaryGoal);
    return this.store.mostConvertedConfirmedGoal(experiment.projectId, experiment.id);
  }

  /** Recomputes, stores and announces the decision of one experiment. */
  async refresh(experimentId: string): Promise<Decision | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const experiment = await this.experiments.findById(experimentId);
      if (!experiment) return undefined;
      const at = this.now();
      const goal = await this.decisionGoal(experiment);
      // The projection simulates a few hundred decisions: at most one per interval, reused in
      // between (the counts move little in a minute).
      // A change of goal, prior, thresholds or arms projects anew.
      const settings = JSON.stringify([
        goal,
        experiment.prior,
        experiment.thresholds,
        experiment.variants.length,
      ]);
      const last = this.lastProjection.get(experiment.id);
      const reusable =
        last !== undefined &&
        last.settings === settings &&
        at - last.at < this.projectionIntervalMs &&
        experiment.decision?.projection
          ? experiment.decision.projection
          : undefined;
      const { decision } = await this.compute(experiment, goal, reusable ?? true);
      if (decision.projection && !reusable) {
        this.lastProjection.set(experiment.id, { at, settings });
      }
      const previousStatus = experiment.decisionStatus;
      // Compare-and-set on the status: exactly one writer sees each status change.
      if (
        !(await this.experiments.saveDecision(
          experiment.id,
          decision,
          previousStatus,
          new Date(at),
        ))
      ) {
        continue;
      }
      await this.snapshot(experiment, goal, decision, previousStatus, at);
      this.events.emit('decision:changed', {
        projectId: experiment.projectId,
        experimentId: experiment.id,
        experimentKey: experiment.key,
        goal,
        previousStatus,
        decision,
      });
      await this.notify(experiment, goal, decision, previousStatus, at);
      await this.moveAllocation(experiment, decision, at);
      return decision;
    }
    this.logger.warn({ experimentId }, 'decision kept changing under concurrent writers');
    return undefined;
  }

  private async snapshot(
    experiment: Experiment,
    goal: string | null,
    decision: Decision,
    previousStatus: string | null,
    at: number,
  ): Promise<void> {
    let last = this.lastSnapshot.get(experiment.id);
    if (last === undefined) last = (await this.store.lastSnapshotAt(experiment.id))?.getTime();
    if (
      decision.status === previousStatus &&
      last !== undefined &&
      at - last < this.snapshotIntervalMs
    ) {
      return;
    }
    await this.store.insertSnapshot(experiment.id, {
      goal,
      status: decision.status,
      decision,
      takenAt: new Date(at),
    });
    this.lastSnapshot.set(experiment.id, at);
  }

  /**
   * Tells the team about the decision: once when the status becomes ready_to_ship or
   * practically_equivalent (the caller won the compare-and-set on the status), and once when a
   * sample ratio mismatch is first detected (a compare-and-set on the experiment).
   */
  private async notify(
    experiment: Experiment,
    goal: string | null,
    decision: Decision,
    previousStatus: string | null,
    at: number,
  ): Promise<void> {
    const payload = {
      experimentKey: experiment.key,
      experimentName: experiment.name,
      goal,
      status: decision.status,
      leader: decision.leader,
      effect: decision.effect,
      recommendation: decision.recommendation,
    };
    if (NOTIFIED_STATUSES.has(decision.status) && previousStatus !== decision.status) {
      await this.notifications.record({
        projectId: experiment.projectId,
        experimentId: experiment.id,
        kind: decision.status as 'ready_to_ship' | 'practically_equivalent',
        payload,
      });
    }
    if (
      decision.srm.detected &&
      (await this.experiments.markSrmDetected(experiment.id, new Date(at)))
    ) {
      await this.notifications.record({
        projectId: experiment.projectId,
        experimentId: experiment.id,
        kind: 'srm_detected',
        payload: { ...payload, srmPValue: decision.srm.pValue },
      });
    }
  }

  /** Applies the bandit's allocation to new visitors, at most once per interval. */
  private async moveAllocation(experiment: Experiment, decision: Decision, at: number) {
    if (experiment.status !== 'running' || experiment.banditMode === 'off') return;
    if (at - experiment.allocation.updatedAt.getTime() < this.allocationIntervalMs) return;
    const weights = decision.variants.map((v) => v.allocation);
    const current = experiment.allocation.weights;
    if (weights.every((w, i) => Math.abs(w - (current[i] ?? 0)) < 1e-9)) return;
    const allocation = await this.experiments.replaceAllocation(
      experiment.id,
      experiment.allocation.version,
      weights,
      new Date(at),
    );
    if (allocation) {
      this.events.emit('allocation:changed', {
        projectId: experiment.projectId,
        experimentId: experiment.id,
        allocation,
      });
    }
  }
}
