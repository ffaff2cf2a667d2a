import { isbot } from 'isbot';
import {
  batchSchema,
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
    const valid: { index: number; event: StoredEvent }[] = [];
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
    events: readonly { index: number; event: StoredEvent }[],
    receivedAt: Date,
  ): Promise<{
    notCounted: { index: number; reason: NotCountedReason }[];
    touched: Set<string>;
    created: Experiment[];
  }> {
    const notCounted: { index: number; reason: NotCountedReason }[] = [];
    const touched = new Set<string>();
    const human = events.filter((e) => {
      if (e.event.isBot) notCounted.push({ index: e.index, reason: 'bot' });
      return !e.event.isBot;
    });
    if (human.length === 0) return { notCounted, touched, created: [] };

    const totalsBefore = await tx.upsertVisitors(visitorDeltas(human.map((h) => h.event)));

    // Exposures, in time order so the earliest exposure of a visitor is the one that counts.
    const exposures = human
      .filter((h) => h.event.type === 'exposure')
      .sort((a, b) => a.event.occurredAt.getTime() - b.event.occurredAt.getTime());
    const { experiments, created } = await this.resolveExperiments(
      tx,
      project,
      exposures.map((e) => e.event.payload),
      receivedAt,
    );
    const exposureRows: (ExposureRow & { index: number })[] = [];
    for (const { index, event } of exposures) {
      const payload = event.payload as Extract<IngestEvent, { type: 'exposure' }>;
      const experiment = experiments.get(payload.experiment);
      const reason = !experiment
        ? 'unknown_experiment'
        : experiment.status !== 'running'
          ? 'experiment_not_running'
          : !experiment.variants.some((v) => v.key === payload.variant)
            ? 'unknown_variant'
            : undefined;
      if (reason || !experiment) {
        notCounted.push({ index, reason: reason ?? 'unknown_experiment' });
        continue;
      }
      const version = payload.allocationVersion;
      exposureRows.push({
        index,
        experimentId: experiment.id,
        visitorId: event.visitorId,
        variantKey: payload.variant,
        allocationVersion:
          version !== undefined && version <= experiment.allocation.version
            ? version
            : experiment.allocation.version,
        exposedAt: event.occurredAt,
        preEngagement: totalsBefore.get(event.visitorId) ?? NO_ENGAGEMENT,
      });
    }
    const inserted = await tx.insertExposures(exposureRows);
    const pairOf = (r: { experimentId: string; visitorId: string }) =>
      `${r.experimentId}\n${r.visitorId}`;
    const firstOfPair = new Set<string>();
    const repeated = exposureRows.filter((r) => {
      const pair = pairOf(r);
      const isNew = inserted.has(pair) && !firstOfPair.has(pair);
      firstOfPair.add(pair);
      return !isNew;
    });
    const counted = await tx.exposedVariants(repeated);
    const exposureStats = new Map<string, ExposureStatDelta>();
    const bumpExposure = (r: ExposureRow, visitors: number, conflicts: number) => {
      const key = `${r.experimentId}\n${r.variantKey}\n${r.allocationVersion}`;
      const old = exposureStats.get(key);
      exposureStats.set(key, {
        experimentId: r.experimentId,
        variantKey: r.variantKey,
        allocationVersion: r.allocationVersion,
        visitors: (old?.visitors ?? 0) + visitors,
        conflictingExposures: (old?.conflictingExposures ?? 0) + conflicts,
      });
      touched.add(r.experimentId);
    };
    const repeatedSet = new Set(repeated);
    for (const row of exposureRows) {
      if (!repeatedSet.has(row)) {
        bumpExposure(row, 1, 0);
        continue;
      }
      notCounted.push({ index: row.index, reason: 'already_exposed' });
      // A later exposure naming another variant: kept in the log, counted as a conflict under
      // the variant it names (a possible cause of sample ratio mismatch).
      if (counted.get(pairOf(row)) !== row.variantKey) bumpExposure(row, 0, 1);
    }
    await tx.addExposureStats([...exposureStats.values()]);

    // Conversions and engagement attach to the visitor's exposures that came before them.
    const followUps = human.filter((h) => h.event.type !== 'exposure');
    const visitorIds = [...new Set(followUps.map((f) => f.event.visitorId))];
    const exposuresOf = new Map<
      string,
      { experimentId: string; experimentKey: string; variantKey: string; exposedAt: Date }[]
    >();
    for (const x of await tx.visitorExposures(visitorIds)) {
      const list = exposuresOf.get(x.visitorId) ?? [];
      list.push(x);
      exposuresOf.set(x.visitorId, list);
    }

    const goals = new Map<string, GoalDelta>();
    const conversionRows: (ConversionRow & { index: number })[] = [];
    const engagementDeltas = new Map<string, EngagementDelta>();
    for (const { index, event } of followUps) {
      const payload = event.payload;
      const prior = (exposuresOf.get(event.visitorId) ?? []).filter(
        (x) => x.exposedAt.getTime() <= event.occurredAt.getTime(),
      );
      if (payload.type === 'conversion' || payload.type === 'goal_candidate') {
        addGoal(goals, payload, event.occurredAt);
        const within =
          payload.type === 'conversion' && payload.experiment !== undefined
            ? prior.filter((x) => x.experimentKey === payload.experiment)
            : prior;
        if (within.length === 0) notCounted.push({ index, reason: 'not_exposed' });
        for (const x of within) {
          conversionRows.push({
            index,
            experimentId: x.experimentId,
            visitorId: event.visitorId,
            goalKey: payload.goal,
            variantKey: x.variantKey,
            convertedAt: event.occurredAt,
          });
        }
      } else if (payload.type === 'engagement' || payload.type === 'page_view') {
        const delta = engagementOf(payload);
        for (const x of prior) {
          const key = `${x.experimentId}\n${event.visitorId}`;
          const old = engagementDeltas.get(key);
          engagementDeltas.set(key, {
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
    const converted = await tx.insertConversions(conversionRows);
    const convertedKeys = new Set(
      converted.map((c) => `${c.experimentId}\n${c.visitorId}\n${c.goalKey}`),
    );
    const goalStats = new Map<string, GoalStatDelta>();
    for (const c of converted) {
      const key = `${c.experimentId}\n${c.variantKey}\n${c.goalKey}`;
      goalStats.set(key, {
        experimentId: c.experimentId,
        variantKey: c.variantKey,
        goalKey: c.goalKey,
        conversions: (goalStats.get(key)?.conversions ?? 0) + 1,
      });
      touched.add(c.experimentId);
    }
    const convertedIndexes = new Set<number>();
    for (const row of conversionRows) {
      const key = `${row.experimentId}\n${row.visitorId}\n${row.goalKey}`;
      if (convertedKeys.has(key)) {
        convertedKeys.delete(key);
        convertedIndexes.add(row.index);
      }
    }
    for (const index of new Set(conversionRows.map((r) => r.index))) {
      if (!convertedIndexes.has(index)) notCounted.push({ index, reason: 'already_converted' });
    }
    await tx.addGoalStats([...goalStats.values()]);
    await tx.addEngagement([...engagementDeltas.values()]);
    return { notCounted, touched, created };
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
