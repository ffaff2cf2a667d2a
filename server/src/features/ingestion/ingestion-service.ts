import { isbot } from 'isbot';
import {
  batchSchema,
  type ExposureEvent,
  eventSchema,
  type IngestEvent,
  type IngestResult,
  type RejectedEvent,
} from '../../contracts/events.js';
import type { CountingClock } from '../../counting-clock.js';
import type { DomainEvents, LiveEventSummary } from '../../domain-events.js';
import { issuePath, parseInput } from '../../validation.js';
import type {
  Experiment,
  ExperimentStore,
  NewExperiment,
} from '../experiments/experiment-store.js';
import { newId } from '../projects/credentials.js';
import type { Project } from '../projects/project-store.js';
import {
  type BatchState,
  type ConflictDelta,
  type ConversionRow,
  type Engagement,
  type EngagementDelta,
  type ExposureRow,
  type GoalDelta,
  type IngestionStore,
  type IngestionTransaction,
  NO_ENGAGEMENT,
  type StoredEvent,
  type VisitorDelta,
  type VisitorExposure,
} from './ingestion-store.js';

/** Why a stored event did not change any count. */
export type NotCountedReason =
  | 'bot'
  | 'unknown_experiment'
  | 'experiment_not_running'
  | 'unknown_variant'
  | 'already_exposed'
  | 'not_exposed'
  | 'already_converted';

/** What the sender told us besides the events. */
export interface BatchContext {
  readonly userAgent: string | undefined;
}

/** The full result: the response body plus which events counted nowhere, and why. */
export interface IngestOutcome extends IngestResult {
  readonly notCounted: { index: number; reason: NotCountedReason }[];
}

/** An event and its position in the batch. */
interface Indexed {
  readonly index: number;
  readonly event: StoredEvent;
}

/** What counting a batch found: events that counted nowhere, and experiments it changed. */
interface Tally {
  readonly notCounted: { index: number; reason: NotCountedReason }[];
  readonly touched: Set<string>;
}

const pairKey = (r: { experimentId: string; visitorId: string }) =>
  `${r.experimentId}\n${r.visitorId}`;

/** Largest correction applied for client clock skew, in milliseconds (one day). */
const MAX_SKEW_MS = 86_400_000;

/**
 * Event ingestion: validates a batch event by event, stores the new events exactly once and, in
 * the same transaction, updates first exposures, conversions, engagement and the sufficient
 * statistics. After commit it asks for the touched experiments' decisions to be recomputed.
 */
export class IngestionService {
  constructor(
    private readonly store: IngestionStore,
    private readonly experiments: ExperimentStore,
    private readonly events: DomainEvents,
    /** Stamps each batch's `received_at` when its turn to be counted comes. */
    private readonly clock: CountingClock,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Ingests one batch body for `project`.
   * @throws ValidationError (400) when the envelope itself is invalid (no `events` array, more
   *   than 500 events, bad `sentAt`); invalid events are reported in `rejected` instead.
   */
  async ingest(project: Project, body: unknown, context: BatchContext): Promise<IngestOutcome> {
    const batch = parseInput(batchSchema, body);
    const receivedAt = this.now();
    // Client clocks drift: shift every client time by (server receipt - client send time).
    const skew =
      batch.sentAt === undefined
        ? 0
        : Math.max(-MAX_SKEW_MS, Math.min(MAX_SKEW_MS, receivedAt - batch.sentAt));
    const userAgent = batch.userAgent ?? context.userAgent;
    const isBot = userAgent !== undefined && isbot(userAgent);

    const rejected: RejectedEvent[] = [];
    const valid: Indexed[] = [];
    batch.events.forEach((raw, index) => {
      const parsed = eventSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        rejected.push({
          index,
          field: issue ? issuePath(issue.path, 'event') : 'event',
          reason: issue?.message ?? 'is invalid',
        });
        return;
      }
      valid.push({ index, event: toStoredEvent(parsed.data, skew, receivedAt, isBot) });
    });

    // The same ID twice in one batch: the first one is the event, the rest are duplicates.
    const seen = new Set<string>();
    const unique = valid.filter(({ event }) => !seen.has(event.eventId) && seen.add(event.eventId));

    const humans = unique.filter((u) => !u.event.isBot);
    const exposures = humans.filter((u) => u.event.type === 'exposure');
    const lookups = {
      experimentKeys: [...new Set(exposures.map((e) => e.event.experimentKey ?? ''))],
      visitorIds: [...new Set(humans.map((h) => h.event.visitorId))],
      claimedVersions: [
        ...new Set(
          exposures.flatMap((e) => (e.event.payload as ExposureEvent).allocationVersion ?? []),
        ),
      ],
    };
    const created: Experiment[] = [];
    let counted: (Tally & { fresh: Set<string> }) | undefined;
    // Code-first experiments are created in transactions of their own, and the batch is then
    // counted from the start; a second pass creates nothing.
    for (let pass = 1; counted === undefined; pass++) {
      const result = await this.store.transaction(project.id, async (tx) => {
        // Batches sharing a visitor are counted one after the other, and each is stamped when
        // its turn comes, after its project's lock (shared with other batches, exclusive to a
        // change of experiments): the order of `received_at` is the order of counting, which
        // the audit's replay relies on (see CountingClock).
        await tx.begin(lookups.visitorIds);
        const countedAt = this.clock.batch();
        const state = await tx.storeEvents(
          unique.map((u) => u.event),
          new Date(countedAt),
          lookups,
        );
        const fresh = unique.filter((u) => state.fresh.has(u.event.eventId));
        const missing = pass === 1 ? codeFirstExperiments(project, fresh, state) : [];
        if (missing.length > 0) {
          this.clock.giveBack(countedAt);
          return { missing };
        }
        return { counted: { fresh: state.fresh, ...(await this.count(tx, fresh, state)) } };
      });
      if ('missing' in result) created.push(...(await this.createExperiments(result.missing)));
      else counted = result.counted;
    }
    const { fresh, notCounted, touched } = counted;

    for (const experiment of created) this.events.emit('experiment:created', { experiment });
    if (fresh.size > 0 && this.events.hasListeners('events:ingested')) {
      this.events.emit('events:ingested', {
        projectId: project.id,
        events: unique.filter((u) => fresh.has(u.event.eventId)).map((u) => summary(u.event)),
      });
    }
    if (touched.size > 0) {
      this.events.emit('stats:changed', { projectId: project.id, experimentIds: [...touched] });
    }
    return {
      accepted: fresh.size,
      duplicates: valid.length - fresh.size,
      rejected,
      notCounted: notCounted.sort((a, b) => a.index - b.index),
    };
  }

  /**
   * Applies the newly stored events to the counts and commits the batch's transaction.
   * @throws ExposureRaceError from the commit, when a concurrent batch exposed a visitor first.
   */
  private async count(
    tx: IngestionTransaction,
    events: readonly Indexed[],
    state: BatchState,
  ): Promise<Tally> {
    const tally: Tally = { notCounted: [], touched: new Set() };
    const human = events.filter(({ index, event }) => {
      if (event.isBot) tally.notCounted.push({ index, reason: 'bot' });
      return !event.isBot;
    });
    if (human.length === 0) {
      await tx.commit();
      return tally;
    }
    const exposures = this.countExposures(exposuresInOrder(human), state, tally);
    const followUps = this.countFollowUps(
      human.filter((h) => h.event.type !== 'exposure'),
      [...state.exposures, ...exposures.newExposures],
      tally,
    );
    const written = await tx.commit({
      visitors: visitorDeltas(human.map((h) => h.event)),
      exposures: exposures.rows,
      conflicts: exposures.conflicts,
      conversions: followUps.conversions,
      goals: followUps.goals,
      engagement: followUps.engagement,
    });
    for (const row of exposures.rows) tally.touched.add(row.experimentId);
    for (const c of exposures.conflicts) tally.touched.add(c.experimentId);
    // An event counted if at least one of its (experiment, goal) conversions was new.
    const countedEvents = new Set<number>();
    for (const row of followUps.conversions) {
      const key = `${pairKey(row)}\n${row.goalKey}`;
      if (written.conversions.delete(key)) {
        countedEvents.add(row.index);
        tally.touched.add(row.experimentId);
      }
    }
    for (const index of new Set(followUps.conversions.map((r) => r.index))) {
      if (!countedEvents.has(index)) tally.notCounted.push({ index, reason: 'already_converted' });
    }
    return tally;
  }

  /**
   * First exposure wins: `ordered` is in time order, so within a batch the earliest exposure of
   * a visitor is the one that counts; across batches the one stored first. Pure: returns the
   * rows to insert and the conflicts to count.
   */
  private countExposures(
    ordered: readonly Indexed[],
    state: BatchState,
    tally: Tally,
  ): { rows: ExposureRow[]; conflicts: ConflictDelta[]; newExposures: VisitorExposure[] } {
    const counted = new Map(state.exposures.map((x) => [pairKey(x), x.variantKey]));
    const rows: ExposureRow[] = [];
    const newExposures: VisitorExposure[] = [];
    const conflicts = new Map<string, ConflictDelta>();
    for (const { index, event } of ordered) {
      const payload = event.payload as ExposureEvent;
      const experiment = state.experiments.get(payload.experiment);
      const variantIndex = experiment?.variants.findIndex((v) => v.key === payload.variant) ?? -1;
      if (!experiment) {
        tally.notCounted.push({ index, reason: 'unknown_experiment' });
        continue;
      }
      if (experiment.status !== 'running') {
        tally.notCounted.push({ index, reason: 'experiment_not_running' });
        continue;
      }
      if (variantIndex < 0) {
        tally.notCounted.push({ index, reason: 'unknown_variant' });
        continue;
      }
      // The version the SDK assigned under, when the variant was already an arm in it, or 0
      // (equal weights, without configuration); else the one in force.
      const claimed = payload.allocationVersion;
      const arms = claimed === undefined ? 0 : (state.arms.get(experiment.id)?.get(claimed) ?? 0);
      const allocationVersion =
        claimed !== undefined &&
        (claimed === 0 ||
          claimed === experiment.allocationVersion ||
          (claimed < experiment.allocationVersion && variantIndex < arms))
          ? claimed
          : experiment.allocationVersion;
      const pair = pairKey({ experimentId: experiment.id, visitorId: event.visitorId });
      const first = counted.get(pair);
      if (first === undefined) {
        counted.set(pair, payload.variant);
        rows.push({
          experimentId: experiment.id,
          visitorId: event.visitorId,
          variantKey: payload.variant,
          allocationVersion,
          exposedAt: event.occurredAt,
          preEngagement: state.totals.get(event.visitorId) ?? NO_ENGAGEMENT,
        });
        newExposures.push({
          experimentId: experiment.id,
          experimentKey: experiment.key,
          experimentStatus: experiment.status,
          visitorId: event.visitorId,
          variantKey: payload.variant,
          exposedAt: event.occurredAt.getTime(),
        });
        continue;
      }
      tally.notCounted.push({ index, reason: 'already_exposed' });
      // A later exposure naming another variant: kept in the log, counted as a conflict under
      // the variant it names (a possible cause of sample ratio mismatch).
      if (first !== payload.variant) {
        const key = `${experiment.id}\n${payload.variant}\n${allocationVersion}`;
        conflicts.set(key, {
          experimentId: experiment.id,
          variantKey: payload.variant,
          allocationVersion,
          conflictingExposures: (conflicts.get(key)?.conflictingExposures ?? 0) + 1,
        });
      }
    }
    return { rows, conflicts: [...conflicts.values()], newExposures };
  }

  /**
   * Conversions (and goal candidates, which are conversions of a goal not yet confirmed) and
   * engagement attach to the visitor's counted exposures that came before them, in experiments
   * still running or paused. Pure: returns the rows to write.
   */
  private countFollowUps(
    events: readonly Indexed[],
    exposures: readonly VisitorExposure[],
    tally: Tally,
  ): {
    conversions: (ConversionRow & { index: number })[];
    goals: GoalDelta[];
    engagement: EngagementDelta[];
  } {
    const exposuresOf = new Map<string, VisitorExposure[]>();
    for (const x of exposures) {
      if (x.experimentStatus !== 'running' && x.experimentStatus !== 'paused') continue;
      exposuresOf.set(x.visitorId, [...(exposuresOf.get(x.visitorId) ?? []), x]);
    }
    const goals = new Map<string, GoalDelta>();
    const conversions: (ConversionRow & { index: number })[] = [];
    const engagement = new Map<string, EngagementDelta>();
    for (const { index, event } of events) {
      const payload = event.payload;
      const before = (exposuresOf.get(event.visitorId) ?? []).filter(
        (x) => x.exposedAt <= event.occurredAt.getTime(),
      );
      if (payload.type === 'conversion' || payload.type === 'goal_candidate') {
        addGoal(goals, payload, event.occurredAt);
        const within =
          payload.type === 'conversion' && payload.experiment !== undefined
            ? before.filter((x) => x.experimentKey === payload.experiment)
            : before;
        if (within.length === 0) tally.notCounted.push({ index, reason: 'not_exposed' });
        for (const x of within) {
          conversions.push({
            index,
            experimentId: x.experimentId,
            visitorId: event.visitorId,
            goalKey: payload.goal,
            variantKey: x.variantKey,
            convertedAt: event.occurredAt,
          });
        }
      } else {
        const delta = engagementOf(payload);
        for (const x of before) {
          const key = pairKey(x);
          const old = engagement.get(key);
          engagement.set(key, {
            experimentId: x.experimentId,
            visitorId: event.visitorId,
            variantKey: x.variantKey,
            engagement: old ? addEngagement(old.engagement, delta) : delta,
            at: old && old.at > event.occurredAt ? old.at : event.occurredAt,
          });
        }
      }
    }
    return {
      conversions,
      goals: [...goals.values()],
      engagement: [...engagement.values()],
    };
  }

  /**
   * Creates code-first experiments, each in a transaction of its own, stamped by the counting
   * clock before the batch that named them is counted again. Returns those this call created
   * (not those a concurrent batch created first).
   */
  private async createExperiments(
    experiments: readonly Omit<NewExperiment, 'createdAt' | 'startedAt'>[],
  ): Promise<Experiment[]> {
    const created: Experiment[] = [];
    for (const experiment of experiments) {
      const at = new Date(this.now());
      const result = await this.experiments.insert({ ...experiment, createdAt: at, startedAt: at });
      if (result.created) created.push(result.experiment);
    }
    return created;
  }
}

/** The batch's human exposures in time order, ties broken by event ID. */
function exposuresInOrder(events: readonly Indexed[]): Indexed[] {
  // Byte-wise like the audit's replay (`collate "C"`): the log does not keep positions in the
  // body.
  return events
    .filter((e) => e.event.type === 'exposure' && !e.event.isBot)
    .sort(
      (a, b) =>
        a.event.occurredAt.getTime() - b.event.occurredAt.getTime() ||
        Buffer.compare(Buffer.from(a.event.eventId), Buffer.from(b.event.eventId)),
    );
}

/**
 * The code-first experiments that `events` (newly stored) name and the project does not have
 * yet, when it allows them: running, equal allocation, the variants declared by the earliest
 * exposure that declares them.
 */
function codeFirstExperiments(
  project: Project,
  events: readonly Indexed[],
  state: BatchState,
): Omit<NewExperiment, 'createdAt' | 'startedAt'>[] {
  if (!project.autoCreateExperiments) return [];
  const missing = new Map<string, Omit<NewExperiment, 'createdAt' | 'startedAt'>>();
  for (const { event } of exposuresInOrder(events)) {
    const exposure = event.payload;
    if (exposure.type !== 'exposure') continue;
    if (state.experiments.has(exposure.experiment) || missing.has(exposure.experiment)) continue;
    const declared = exposure.variants;
    if (!declared || new Set(declared).size !== declared.length) continue;
    if (!declared.includes(exposure.variant)) continue;
    missing.set(exposure.experiment, {
      id: newId(),
      projectId: project.id,
      key: exposure.experiment,
      name: exposure.experiment,
      hypothesis: null,
      status: 'running',
      variants: declared.map((key) => ({ key, name: key })),
      primaryGoal: null,
      prior: null,
      thresholds: null,
      banditMode: 'top-two',
      weights: declared.map(() => 1 / declared.length),
      createdBy: 'code',
    });
  }
  return [...missing.values()];
}

function toStoredEvent(
  event: IngestEvent,
  skew: number,
  receivedAt: number,
  isBot: boolean,
): StoredEvent {
  const corrected = event.timestamp === undefined ? receivedAt : event.timestamp + skew;
  return {
    eventId: event.id,
    type: event.type,
    visitorId: event.visitorId,
    experimentKey:
      event.type === 'exposure' || event.type === 'conversion' ? (event.experiment ?? null) : null,
    goalKey: event.type === 'conversion' || event.type === 'goal_candidate' ? event.goal : null,
    payload: event,
    clientAt: event.timestamp === undefined ? null : new Date(event.timestamp),
    // Never in the future of the moment it arrived.
    occurredAt: new Date(Math.min(corrected, receivedAt)),
    isBot,
  };
}

/** An event as the live stream shows it: what happened, where, and a short visitor ID. */
function summary(event: StoredEvent): LiveEventSummary {
  const p = event.payload;
  return {
    type: p.type,
    experiment: event.experimentKey,
    variant: p.type === 'exposure' ? p.variant : null,
    goal: event.goalKey,
    page: p.type === 'page_view' ? (p.path ?? null) : null,
    visitor: event.visitorId.slice(0, 8),
    at: event.occurredAt.getTime(),
  };
}

function engagementOf(event: IngestEvent): Engagement {
  if (event.type === 'page_view') return { ...NO_ENGAGEMENT, pageViews: 1 };
  if (event.type !== 'engagement') return NO_ENGAGEMENT;
  return {
    maxScrollDepth: event.scrollDepth ?? 0,
    activeMs: event.activeMs ?? 0,
    clicks: event.clicks ?? 0,
    formStarts: event.formStarts ?? 0,
    formSubmits: event.formSubmits ?? 0,
    pageViews: 0,
  };
}

function addEngagement(a: Engagement, b: Engagement): Engagement {
  return {
    maxScrollDepth: Math.max(a.maxScrollDepth, b.maxScrollDepth),
    activeMs: a.activeMs + b.activeMs,
    clicks: a.clicks + b.clicks,
    formStarts: a.formStarts + b.formStarts,
    formSubmits: a.formSubmits + b.formSubmits,
    pageViews: a.pageViews + b.pageViews,
  };
}

function visitorDeltas(events: readonly StoredEvent[]): VisitorDelta[] {
  const byVisitor = new Map<string, VisitorDelta>();
  for (const event of events) {
    const old = byVisitor.get(event.visitorId);
    const engagement = engagementOf(event.payload);
    byVisitor.set(event.visitorId, {
      visitorId: event.visitorId,
      firstSeenAt: old && old.firstSeenAt < event.occurredAt ? old.firstSeenAt : event.occurredAt,
      lastSeenAt: old && old.lastSeenAt > event.occurredAt ? old.lastSeenAt : event.occurredAt,
      engagement: old ? addEngagement(old.engagement, engagement) : engagement,
    });
  }
  return [...byVisitor.values()];
}

function addGoal(
  goals: Map<string, GoalDelta>,
  event: Extract<IngestEvent, { type: 'conversion' | 'goal_candidate' }>,
  at: Date,
): void {
  const old = goals.get(event.goal);
  const tracked = event.type === 'conversion' || old?.source === 'track';
  goals.set(event.goal, {
    key: event.goal,
    status: tracked ? 'confirmed' : 'candidate',
    source: tracked ? 'track' : 'detected',
    kind: event.type === 'goal_candidate' ? event.kind : (old?.kind ?? null),
    label: event.type === 'goal_candidate' ? (event.label ?? null) : (old?.label ?? null),
    selector: event.type === 'goal_candidate' ? (event.selector ?? null) : (old?.selector ?? null),
    events: (old?.events ?? 0) + 1,
    seenAt: old && old.seenAt > at ? old.seenAt : at,
  });
}
