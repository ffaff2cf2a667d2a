import type { Knex } from 'knex';
import type { IngestEvent } from '../../contracts/events.js';

/** An event ready to store: validated, with its time corrected for client clock skew. */
export interface StoredEvent {
  readonly eventId: string;
  readonly type: IngestEvent['type'];
  readonly visitorId: string;
  readonly experimentKey: string | null;
  readonly goalKey: string | null;
  readonly payload: IngestEvent;
  readonly clientAt: Date | null;
  readonly occurredAt: Date;
  readonly isBot: boolean;
}

/** Engagement counters; totals per visitor, or deltas from one batch. */
export interface Engagement {
  readonly maxScrollDepth: number;
  readonly activeMs: number;
  readonly clicks: number;
  readonly formStarts: number;
  readonly formSubmits: number;
  readonly pageViews: number;
}

export const NO_ENGAGEMENT: Engagement = {
  maxScrollDepth: 0,
  activeMs: 0,
  clicks: 0,
  formStarts: 0,
  formSubmits: 0,
  pageViews: 0,
};

/** One visitor's part of a batch. */
export interface VisitorDelta {
  readonly visitorId: string;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly engagement: Engagement;
}

export interface ExposureRow {
  readonly experimentId: string;
  readonly visitorId: string;
  readonly variantKey: string;
  readonly allocationVersion: number;
  readonly exposedAt: Date;
  readonly preEngagement: Engagement;
}

/** A visitor's counted exposure in an experiment that still counts conversions. */
export interface VisitorExposure {
  readonly experimentId: string;
  readonly experimentKey: string;
  readonly visitorId: string;
  readonly variantKey: string;
  readonly exposedAt: Date;
}

export interface ConversionRow {
  readonly experimentId: string;
  readonly visitorId: string;
  readonly goalKey: string;
  readonly variantKey: string;
  readonly convertedAt: Date;
}

export interface GoalDelta {
  readonly key: string;
  readonly status: 'confirmed' | 'candidate';
  readonly source: 'track' | 'detected';
  readonly kind: string | null;
  readonly label: string | null;
  readonly selector: string | null;
  readonly events: number;
  readonly seenAt: Date;
}

export interface ExposureStatDelta {
  readonly experimentId: string;
  readonly variantKey: string;
  readonly allocationVersion: number;
  readonly visitors: number;
  readonly conflictingExposures: number;
}

export interface GoalStatDelta {
  readonly experimentId: string;
  readonly variantKey: string;
  readonly goalKey: string;
  readonly conversions: number;
}

export interface EngagementDelta {
  readonly experimentId: string;
  readonly visitorId: string;
  readonly variantKey: string;
  readonly engagement: Engagement;
  readonly at: Date;
}

/** Rows per multi-row statement: well under PostgreSQL's 65,535 bound parameters. */
const CHUNK = 500;

function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

const byKey =
  <T>(key: (row: T) => string) =>
  (a: T, b: T): number => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };

interface VisitorTotalsRow {
  visitor_id: string;
  max_scroll_depth: number;
  active_ms: number;
  clicks: number;
  form_starts: number;
  form_submits: number;
  page_views: number;
}

/**
 * The writes of one ingested batch, all inside one transaction. Rows are written in key order so
 * that concurrent batches touching the same rows take their locks in the same order (no
 * deadlocks).
 */
export class IngestionTransaction {
  constructor(
    readonly trx: Knex.Transaction,
    private readonly projectId: string,
  ) {}

  /** Inserts events not stored before; returns the IDs that were new. */
  async insertEvents(events: readonly StoredEvent[], receivedAt: Date): Promise<Set<string>> {
    const fresh = new Set<string>();
    const sorted = [...events].sort(byKey((e) => e.eventId));
    for (const chunk of chunks(sorted)) {
      const rows: { event_id: string }[] = await this.trx('events')
        .insert(
          chunk.map((e) => ({
            project_id: this.projectId,
            event_id: e.eventId,
            type: e.type,
            visitor_id: e.visitorId,
            experiment_key: e.experimentKey,
            goal_key: e.goalKey,
            payload: JSON.stringify(e.payload),
            is_bot: e.isBot,
            client_at: e.clientAt,
            occurred_at: e.occurredAt,
            received_at: receivedAt,
          })),
        )
        .onConflict(['project_id', 'event_id'])
        .ignore()
        .returning('event_id');
      for (const row of rows) fresh.add(row.event_id);
    }
    return fresh;
  }

  /**
   * Adds each visitor's batch to their running totals; returns the totals from before this
   * batch (the pre-exposure engagement of any exposure in it).
   */
  async upsertVisitors(visitors: readonly VisitorDelta[]): Promise<Map<string, Engagement>> {
    const before = new Map<string, Engagement>();
    const sorted = [...visitors].sort(byKey((v) => v.visitorId));
    const t = this.trx;
    for (const chunk of chunks(sorted)) {
      const rows: VisitorTotalsRow[] = await t('visitors')
        .insert(
          chunk.map((v) => ({
            project_id: this.projectId,
            visitor_id: v.visitorId,
            max_scroll_depth: v.engagement.maxScrollDepth,
            active_ms: v.engagement.activeMs,
            clicks: v.engagement.clicks,
            form_starts: v.engagement.formStarts,
            form_submits: v.engagement.formSubmits,
            page_views: v.engagement.pageViews,
            first_seen_at: v.firstSeenAt,
            last_seen_at: v.lastSeenAt,
          })),
        )
        .onConflict(['project_id', 'visitor_id'])
        .merge({
          max_scroll_depth: t.raw('greatest(visitors.max_scroll_depth, excluded.max_scroll_depth)'),
          active_ms: t.raw('visitors.active_ms + excluded.active_ms'),
          clicks: t.raw('visitors.clicks + excluded.clicks'),
          form_starts: t.raw('visitors.form_starts + excluded.form_starts'),
          form_submits: t.raw('visitors.form_submits + excluded.form_submits'),
          page_views: t.raw('visitors.page_views + excluded.page_views'),
          first_seen_at: t.raw('least(visitors.first_seen_at, excluded.first_seen_at)'),
          last_seen_at: t.raw('greatest(visitors.last_seen_at, excluded.last_seen_at)'),
        })
        .returning([
          'visitor_id',
          'max_scroll_depth',
          'active_ms',
          'clicks',
          'form_starts',
          'form_submits',
          'page_views',
        ]);
      const deltas = new Map(chunk.map((v) => [v.visitorId, v.engagement]));
      for (const row of rows) {
        const delta = deltas.get(row.visitor_id) ?? NO_ENGAGEMENT;
        // Totals are sums (and one maximum): before = after - delta, exact for these integers
        // and for the millisecond sums well below 2^53.
        before.set(row.visitor_id, {
          maxScrollDepth: row.max_scroll_depth,
          activeMs: row.active_ms - delta.activeMs,
          clicks: row.clicks - delta.clicks,
          formStarts: row.form_starts - delta.formStarts,
          formSubmits: row.form_submits - delta.formSubmits,
          pageViews: row.page_views - delta.pageViews,
        });
      }
    }
    return before;
  }

  /**
   * Inserts first exposures; an (experiment, visitor) pair already exposed keeps its row. Rows
   * of the same pair must come in time order: the first one wins. Returns the pairs inserted,
   * as `${experimentId}\n${visitorId}`.
   */
  async insertExposures(exposures: readonly ExposureRow[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    // A stable sort: rows of one pair keep their time order.
    const sorted = [...exposures].sort(byKey((e) => `${e.experimentId}\n${e.visitorId}`));
    for (const chunk of chunks(sorted)) {
      const rows: { experiment_id: string; visitor_id: string }[] = await this.trx('exposures')
        .insert(
          chunk.map((e) => ({
            experiment_id: e.experimentId,
            visitor_id: e.visitorId,
            project_id: this.projectId,
            variant_key: e.variantKey,
            allocation_version: e.allocationVersion,
            exposed_at: e.exposedAt,
            pre_engagement: JSON.stringify(e.preEngagement),
          })),
        )
        .onConflict(['experiment_id', 'visitor_id'])
        .ignore()
        .returning(['experiment_id', 'visitor_id']);
      for (const row of rows) inserted.add(`${row.experiment_id}\n${row.visitor_id}`);
    }
    return inserted;
  }

  /**
   * Counted exposures of these visitors in the project's experiments that are running or
   * paused (stopped experiments no longer count conversions).
   */
  async visitorExposures(visitorIds: readonly string[]): Promise<VisitorExposure[]> {
    if (visitorIds.length === 0) return [];
    const rows: {
      experiment_id: string;
      key: string;
      visitor_id: string;
      variant_key: string;
      exposed_at: Date;
    }[] = await this.trx('exposures as x')
      .join('experiments as e', 'e.id', 'x.experiment_id')
      .where('x.project_id', this.projectId)
      .whereIn('x.visitor_id', visitorIds)
      .whereIn('e.status', ['running', 'paused'])
      .select('x.experiment_id', 'e.key', 'x.visitor_id', 'x.variant_key', 'x.exposed_at');
    return rows.map((r) => ({
      experimentId: r.experiment_id,
      experimentKey: r.key,
      visitorId: r.visitor_id,
      variantKey: r.variant_key,
      exposedAt: r.exposed_at,
    }));
  }

  /** Inserts first conversions per (experiment, visitor, goal); returns the rows inserted. */
  async insertConversions(conversions: readonly ConversionRow[]): Promise<ConversionRow[]> {
    const inserted: ConversionRow[] = [];
    const sorted = [...conversions].sort(
      byKey((c) => `${c.experimentId}\n${c.visitorId}\n${c.goalKey}`),
    );
    for (const chunk of chunks(sorted)) {
      const rows: {
        experiment_id: string;
        visitor_id: string;
        goal_key: string;
        variant_key: string;
        converted_at: Date;
      }[] = await this.trx('conversions')
        .insert(
          chunk.map((c) => ({
            experiment_id: c.experimentId,
            visitor_id: c.visitorId,
            goal_key: c.goalKey,
            variant_key: c.variantKey,
            converted_at: c.convertedAt,
          })),
        )
        .onConflict(['experiment_id', 'visitor_id', 'goal_key'])
        .ignore()
        .returning(['experiment_id', 'visitor_id', 'goal_key', 'variant_key', 'converted_at']);
      for (const r of rows) {
        inserted.push({
          experimentId: r.experiment_id,
          visitorId: r.visitor_id,
          goalKey: r.goal_key,
          variantKey: r.variant_key,
          convertedAt: r.converted_at,
        });
      }
    }
    return inserted;
  }

  /** Registers goals seen in the batch and counts their events; a goal keeps its status. */
  async upsertGoals(goals: readonly GoalDelta[]): Promise<void> {
    const t = this.trx;
    const sorted = [...goals].sort(byKey((g) => g.key));
    for (const chunk of chunks(sorted)) {
      await t('goals')
        .insert(
          chunk.map((g) => ({
            project_id: this.projectId,
            key: g.key,
            status: g.status,
            source: g.source,
            kind: g.kind,
            label: g.label,
            selector: g.selector,
            events: g.events,
            first_seen_at: g.seenAt,
            last_seen_at: g.seenAt,
          })),
        )
        .onConflict(['project_id', 'key'])
        .merge({
          events: t.raw('goals.events + excluded.events'),
          last_seen_at: t.raw('greatest(goals.last_seen_at, excluded.last_seen_at)'),
          // A goal named in code is confirmed, even if a heuristic proposed it first.
          status: t.raw(
            "case when excluded.source = 'track' and goals.status = 'candidate' then 'confirmed' else goals.status end",
          ),
        });
    }
  }

  async addExposureStats(deltas: readonly ExposureStatDelta[]): Promise<void> {
    const t = this.trx;
    const sorted = [...deltas].sort(
      byKey((d) => `${d.experimentId}\n${d.variantKey}\n${d.allocationVersion}`),
    );
    for (const chunk of chunks(sorted)) {
      await t('variant_exposure_stats')
        .insert(
          chunk.map((d) => ({
            experiment_id: d.experimentId,
            variant_key: d.variantKey,
            allocation_version: d.allocationVersion,
            visitors: d.visitors,
            conflicting_exposures: d.conflictingExposures,
          })),
        )
        .onConflict(['experiment_id', 'variant_key', 'allocation_version'])
        .merge({
          visitors: t.raw('variant_exposure_stats.visitors + excluded.visitors'),
          conflicting_exposures: t.raw(
            'variant_exposure_stats.conflicting_exposures + excluded.conflicting_exposures',
          ),
        });
    }
  }

  async addGoalStats(deltas: readonly GoalStatDelta[]): Promise<void> {
    const t = this.trx;
    const sorted = [...deltas].sort(
      byKey((d) => `${d.experimentId}\n${d.variantKey}\n${d.goalKey}`),
    );
    for (const chunk of chunks(sorted)) {
      await t('variant_goal_stats')
        .insert(
          chunk.map((d) => ({
            experiment_id: d.experimentId,
            variant_key: d.variantKey,
            goal_key: d.goalKey,
            conversions: d.conversions,
          })),
        )
        .onConflict(['experiment_id', 'variant_key', 'goal_key'])
        .merge({ conversions: t.raw('variant_goal_stats.conversions + excluded.conversions') });
    }
  }

  async addEngagement(deltas: readonly EngagementDelta[]): Promise<void> {
    const t = this.trx;
    const sorted = [...deltas].sort(byKey((d) => `${d.experimentId}\n${d.visitorId}`));
    for (const chunk of chunks(sorted)) {
      await t('experiment_engagement')
        .insert(
          chunk.map((d) => ({
            experiment_id: d.experimentId,
            visitor_id: d.visitorId,
            variant_key: d.variantKey,
            max_scroll_depth: d.engagement.maxScrollDepth,
            active_ms: d.engagement.activeMs,
            clicks: d.engagement.clicks,
            form_starts: d.engagement.formStarts,
            form_submits: d.engagement.formSubmits,
            page_views: d.engagement.pageViews,
            updated_at: d.at,
          })),
        )
        .onConflict(['experiment_id', 'visitor_id'])
        .merge({
          max_scroll_depth: t.raw(
            'greatest(experiment_engagement.max_scroll_depth, excluded.max_scroll_depth)',
          ),
          active_ms: t.raw('experiment_engagement.active_ms + excluded.active_ms'),
          clicks: t.raw('experiment_engagement.clicks + excluded.clicks'),
          form_starts: t.raw('experiment_engagement.form_starts + excluded.form_starts'),
          form_submits: t.raw('experiment_engagement.form_submits + excluded.form_submits'),
          page_views: t.raw('experiment_engagement.page_views + excluded.page_views'),
          updated_at: t.raw('greatest(experiment_engagement.updated_at, excluded.updated_at)'),
        });
    }
  }

  /** Number of arms in each allocation version of these experiments. */
  async armsPerVersion(
    experimentIds: readonly string[],
  ): Promise<Map<string, Map<number, number>>> {
    const rows: { experiment_id: string; version: number; arms: number }[] = await this.trx(
      'allocation_epochs',
    )
      .whereIn('experiment_id', experimentIds)
      .select('experiment_id', 'version', this.trx.raw('jsonb_array_length(weights)::int as arms'));
    const out = new Map<string, Map<number, number>>();
    for (const r of rows) {
      const byVersion = out.get(r.experiment_id) ?? new Map<number, number>();
      byVersion.set(r.version, r.arms);
      out.set(r.experiment_id, byVersion);
    }
    return out;
  }

  /** Variants of the counted exposures of these (experiment, visitor) pairs. */
  async exposedVariants(
    pairs: readonly { experimentId: string; visitorId: string }[],
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const chunk of chunks(pairs)) {
      const rows: { experiment_id: string; visitor_id: string; variant_key: string }[] =
        await this.trx('exposures')
          .whereIn(
            ['experiment_id', 'visitor_id'],
            chunk.map((p) => [p.experimentId, p.visitorId]),
          )
          .select('experiment_id', 'visitor_id', 'variant_key');
      for (const r of rows) out.set(`${r.experiment_id}\n${r.visitor_id}`, r.variant_key);
    }
    return out;
  }
}

/** Runs one batch's writes in a transaction. */
export class IngestionStore {
  constructor(private readonly db: Knex) {}

  transaction<T>(projectId: string, work: (tx: IngestionTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => work(new IngestionTransaction(trx, projectId)));
  }
}
