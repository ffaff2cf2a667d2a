import { isbot } from 'isbot';
import {
  batchSchema,
  type ExposureEvent,
  eventSchema,
  type IngestEvent,
  type IngestResult,
  type RejectedEvent,
} from '../../contracts/events.js';
import type { DomainEvents } from '../../domain-events.js';
import { issuePath, parseInput } from '../../http/validate.js';
import type { Experiment, ExperimentStore } from '../experiments/experiment-store.js';
import { newId } from '../projects/credentials.js';
import type { Project } from '../projects/project-store.js';
import {
  type ConversionRow,
  type Engagement,
  type EngagementDelta,
  type ExposureRow,
  type ExposureStatDelta,
  type GoalDelta,
  type GoalStatDelta,
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
  /** Arms per allocation version, by experiment ID (epochs are immutable). */
  private readonly epochArms = new Map<string, Map<number, number>>();

  constructor(
    private readonly store: IngestionStore,
    private readonly experiments: ExperimentStore,
    private readonly events: DomainEvents,
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

    const { fresh, notCounted, touched, created } = await this.store.transaction(
      project.id,
      async (tx) => {
        const fresh = await tx.insertEvents(
          unique.map((u) => u.event),
          new Date(receivedAt),
        );
        const counted = unique.filter((u) => fresh.has(u.event.eventId));
        return { fresh, ...(await this.count(tx, project, counted, new Date(receivedAt))) };
      },
    );

    for (const experiment of created) this.events.emit('experiment:created', { experiment });
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

  /** Applies the newly stored events to the counts. Runs inside the batch's transaction. */
  private async count(
    tx: IngestionTransaction,
    project: Project,
    events: readonly Indexed[],
    receivedAt: Date,
  ): Promise<Tally & { created: Experiment[] }> {
    const tally: Tally = { notCounted: [], touched: new Set() };
    const human = events.filter(({ index, event }) => {
      if (event.isBot) tally.notCounted.push({ index, reason: 'bot' });
      return !event.isBot;
    });
    if (human.length === 0) return { ...tally, created: [] };
    const totalsBefore = await tx.upsertVisitors(visitorDeltas(human.map((h) => h.event)));
    const created = await this.countExposures(
      tx,
      project,
      human.filter((h) => h.event.type === 'exposure'),
      totalsBefore,
      receivedAt,
      tally,
    );
    await this.countFollowUps(
      tx,
      human.filter((h) => h.event.type !== 'exposure'),
      tally,
    );
    return { ...tally, created };
  }

  /**
   * First exposure wins: in time order, so within a batch the earliest exposure of a visitor is
   * the one that counts; across batches the one stored first. Returns experiments created.
   */
  private async countExposures(
    tx: IngestionTransaction,
    project: Project,
    exposures: readonly Indexed[],
    totalsBefore: ReadonlyMap<string, Engagement>,
    receivedAt: Date,
    tally: Tally,
  ): Promise<Experiment[]> {
    if (exposures.length === 0) return [];
    // Ties broken by event ID, byte-wise like the audit's replay (`collate "C"`): the log does
    // not keep positions in the body.
    const ordered = [...exposures].sort(
      (a, b) =>
        a.event.occurredAt.getTime() - b.event.occurredAt.getTime() ||
        Buffer.compare(Buffer.from(a.event.eventId), Buffer.from(b.event.eventId)),
    );
    const { experiments, created } = await this.resolveExperiments(
      tx,
      project,
      ordered.map((e) => e.event.payload),
      receivedAt,
    );
    const armsInVersion = await this.armsOfClaimedVersions(tx, ordered, experiments);
    const rows: (ExposureRow & { index: number })[] = [];
    for (const { index, event } of ordered) {
      const payload = event.payload as ExposureEvent;
      const experiment = experiments.get(payload.experiment);
      if (!experiment) {
        tally.notCounted.push({ index, reason: 'unknown_experiment' });
      } else if (experiment.status !== 'running') {
        tally.notCounted.push({ index, reason: 'experiment_not_running' });
      } else if (!experiment.variants.some((v) => v.key === payload.variant)) {
        tally.notCounted.push({ index, reason: 'unknown_variant' });
      } else {
        // The version the SDK assigned under, when it is a version in which the variant was
        // already an arm; else the one in force.
        const claimed = payload.allocationVersion;
        const arms =
          claimed === undefined ? undefined : armsInVersion.get(experiment.id)?.get(claimed);
        const variantIndex = experiment.variants.findIndex((v) => v.key === payload.variant);
        rows.push({
          index,
          experimentId: experiment.id,
          visitorId: event.visitorId,
          variantKey: payload.variant,
          allocationVersion:
            claimed !== undefined &&
            (claimed === experiment.allocation.version || variantIndex < (arms ?? 0))
              ? claimed
              : experiment.allocation.version,
          exposedAt: event.occurredAt,
          preEngagement: totalsBefore.get(event.visitorId) ?? NO_ENGAGEMENT,
        });
      }
    }

    const inserted = await tx.insertExposures(rows);
    const firstOfPair = new Set<string>();
    const repeated = new Set(
      rows.filter((row) => {
        const pair = pairKey(row);
        const isFirst = inserted.has(pair) && !firstOfPair.has(pair);
        firstOfPair.add(pair);
        return !isFirst;
      }),
    );
    const counted = await tx.exposedVariants([...repeated]);
    const stats = new Map<string, ExposureStatDelta>();
    const add = (row: ExposureRow, visitors: number, conflicts: number) => {
      const key = `${row.experimentId}\n${row.variantKey}\n${row.allocationVersion}`;
      const old = stats.get(key);
      stats.set(key, {
        experimentId: row.experimentId,
        variantKey: row.variantKey,
        allocationVersion: row.allocationVersion,
        visitors: (old?.visitors ?? 0) + visitors,
        conflictingExposures: (old?.conflictingExposures ?? 0) + conflicts,
      });
      tally.touched.add(row.experimentId);
    };
    for (const row of rows) {
      if (!repeated.has(row)) {
        add(row, 1, 0);
        continue;
      }
      tally.notCounted.push({ index: row.index, reason: 'already_exposed' });
      // A later exposure naming another variant: kept in the log, counted as a conflict under
      // the variant it names (a possible cause of sample ratio mismatch).
      if (counted.get(pairKey(row)) !== row.variantKey) add(row, 0, 1);
    }
    await tx.addExposureStats([...stats.values()]);
    return created;
  }

  /**
   * Arms per allocation version, for the experiments whose exposures claim an older version
   * than the one in force. Epochs never change once written, so they are cached.
   */
  private async armsOfClaimedVersions(
    tx: IngestionTransaction,
    exposures: readonly Indexed[],
    experiments: ReadonlyMap<string, Experiment>,
  ): Promise<Map<string, Map<number, number>>> {
    const wanted = new Set<string>();
    for (const { event } of exposures) {
      const payload = event.payload as ExposureEvent;
      const experiment = experiments.get(payload.experiment);
      const claimed = payload.allocationVersion;
      if (experiment && claimed !== undefined && claimed < experiment.allocation.version) {
        if (!this.epochArms.get(experiment.id)?.has(claimed)) wanted.add(experiment.id);
      }
    }
    if (wanted.size > 0) {
      for (const [id, arms] of await tx.armsPerVersion([...wanted])) this.epochArms.set(id, arms);
    }
    return this.epochArms;
  }

  /**
   * Conversions (and goal candidates, which are conversions of a goal not yet confirmed) and
   * engagement attach to the visitor's counted exposures that came before them.
   */
  private async countFollowUps(
    tx: IngestionTransaction,
    events: readonly Indexed[],
    tally: Tally,
  ): Promise<void> {
    if (events.length === 0) return;
    const exposuresOf = new Map<string, VisitorExposure[]>();
    for (const x of await tx.visitorExposures([...new Set(events.map((e) => e.event.visitorId))])) {
      exposuresOf.set(x.visitorId, [...(exposuresOf.get(x.visitorId) ?? []), x]);
    }

    const goals = new Map<string, GoalDelta>();
    const conversions: (ConversionRow & { index: number })[] = [];
    const engagement = new Map<string, EngagementDelta>();
    for (const { index, event } of events) {
      const payload = event.payload;
      const before = (exposuresOf.get(event.visitorId) ?? []).filter(
        (x) => x.exposedAt.getTime() <= event.occurredAt.getTime(),
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
          const key = pairKey({ experimentId: x.experimentId, visitorId: event.visitorId });
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
    await tx.upsertGoals([...goals.values()]);

    const inserted = await tx.insertConversions(conversions);
    const conversionKey = (c: ConversionRow) => `${c.experimentId}\n${c.visitorId}\n${c.goalKey}`;
    const stats = new Map<string, GoalStatDelta>();
    for (const c of inserted) {
      const key = `${c.experimentId}\n${c.variantKey}\n${c.goalKey}`;
      stats.set(key, {
        experimentId: c.experimentId,
        variantKey: c.variantKey,
        goalKey: c.goalKey,
        conversions: (stats.get(key)?.conversions ?? 0) + 1,
      });
      tally.touched.add(c.experimentId);
    }
    // An event counted if at least one of its (experiment, goal) conversions was new.
    const fresh = new Set(inserted.map(conversionKey));
    const countedEvents = new Set<number>();
    for (const row of conversions) {
      if (fresh.delete(conversionKey(row))) countedEvents.add(row.index);
    }
    for (const index of new Set(conversions.map((r) => r.index))) {
      if (!countedEvents.has(index)) tally.notCounted.push({ index, reason: 'already_converted' });
    }
    await tx.addGoalStats([...stats.values()]);
    await tx.addEngagement([...engagement.values()]);
  }

  /**
   * The project's experiments named by these exposures, creating code-first ones (running,
   * equal allocation, the variants the SDK declared) when the project allows it.
   */
  private async resolveExperiments(
    tx: IngestionTransaction,
    project: Project,
    exposures: readonly IngestEvent[],
    receivedAt: Date,
  ): Promise<{ experiments: Map<string, Experiment>; created: Experiment[] }> {
    const keys = [...new Set(exposures.map((e) => (e.type === 'exposure' ? e.experiment : '')))];
    const found = await this.experiments.findByKeys(project.id, keys, tx.trx);
    const experiments = new Map(found.map((e) => [e.key, e]));
    const created: Experiment[] = [];
    if (!project.autoCreateExperiments) return { experiments, created };
    for (const exposure of exposures) {
      if (exposure.type !== 'exposure' || experiments.has(exposure.experiment)) continue;
      const declared = exposure.variants;
      if (!declared || new Set(declared).size !== declared.length) continue;
      if (!declared.includes(exposure.variant)) continue;
      const result = await this.experiments.insert(
        {
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
          createdAt: receivedAt,
          startedAt: receivedAt,
        },
        tx.trx,
      );
      experiments.set(exposure.experiment, result.experiment);
      if (result.created) created.push(result.experiment);
    }
    return { experiments, created };
  }
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
