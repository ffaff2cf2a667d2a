import type { IngestEvent } from '../../contracts/events.js';
import { PROJECT_LOCK_SPACE } from '../../counting-clock.js';
import { type Database, type Row, type SqlSession, sqlLiteral } from '../../db/database.js';
import type { ExperimentStatus, VariantDefinition } from '../experiments/experiment-store.js';

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

/** What counting needs of an experiment. */
export interface ExperimentRef {
  readonly id: string;
  readonly key: string;
  readonly status: ExperimentStatus;
  readonly variants: VariantDefinition[];
  readonly allocationVersion: number;
}

/** A visitor's counted (first) exposure in one experiment. */
export interface VisitorExposure {
  readonly experimentId: string;
  readonly experimentKey: string;
  readonly experimentStatus: ExperimentStatus;
  readonly visitorId: string;
  readonly variantKey: string;
  /** Milliseconds since the epoch. */
  readonly exposedAt: number;
}

/** What the database knew before this batch, read in the statement that stores its events. */
export interface BatchState {
  /** IDs of the events stored by this batch (the others were stored before). */
  readonly fresh: Set<string>;
  /** The project's experiments named by the batch's exposures, by key. */
  readonly experiments: Map<string, ExperimentRef>;
  /** Engagement totals of the batch's visitors before it, by visitor ID. */
  readonly totals: Map<string, Engagement>;
  /** Counted exposures of the batch's visitors, in every experiment of the project. */
  readonly exposures: VisitorExposure[];
  /** Arms per allocation version claimed by the batch, by experiment ID then version. */
  readonly arms: Map<string, Map<number, number>>;
}

/** What to read besides storing the events. */
export interface BatchLookups {
  readonly experimentKeys: readonly string[];
  readonly visitorIds: readonly string[];
  readonly claimedVersions: readonly number[];
}

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

/** Later exposures naming another variant than the counted one. */
export interface ConflictDelta {
  readonly experimentId: string;
  readonly variantKey: string;
  readonly allocationVersion: number;
  readonly conflictingExposures: number;
}

export interface EngagementDelta {
  readonly experimentId: string;
  readonly visitorId: string;
  readonly variantKey: string;
  readonly engagement: Engagement;
  readonly at: Date;
}

/** Every write of a batch after its events are stored. */
export interface BatchWrites {
  readonly visitors: readonly VisitorDelta[];
  readonly exposures: readonly ExposureRow[];
  readonly conflicts: readonly ConflictDelta[];
  readonly conversions: readonly ConversionRow[];
  readonly goals: readonly GoalDelta[];
  readonly engagement: readonly EngagementDelta[];
}

/** The conversions the writes inserted, as `experimentId\nvisitorId\ngoal`. */
export interface BatchWritten {
  readonly conversions: Set<string>;
}

const NO_WRITES: BatchWrites = {
  visitors: [],
  exposures: [],
  conflicts: [],
  conversions: [],
  goals: [],
  engagement: [],
};

/**
 * A batch's exposures found a first exposure that a concurrent batch committed after this one
 * read: the transaction is rolled back and the batch counted again from a fresh read.
 */
export class ExposureRaceError extends Error {
  constructor() {
    super('a concurrent batch exposed the same visitor first');
    this.name = 'ExposureRaceError';
  }
}

/** First key of the visitors' advisory locks (the second is a hash of project and visitor). */
const VISITOR_LOCK_SPACE = 7_261_130;

/** How often a batch is counted again after losing an exposure race. */
const RACE_RETRIES = 5;

/** SQLSTATE raised by `vibariant_assert` (see the migration that creates it). */
const ASSERTION_FAILED = 'VV001';

/** JSON input of `json_to_recordset` (one value per table, whatever the batch size). */
const rows = <T>(values: readonly T[], map: (value: T) => Record<string, unknown>): string =>
  JSON.stringify(values.map(map));

/**
 * SQL with `:name` placeholders, split once; `fill` writes each value in as a string literal.
 * (`::type` casts are not placeholders.)
 */
function sqlTemplate(sql: string): (values: Record<string, string>) => string {
  const parts = sql.split(/(?<![:\w]):(\w+)/);
  return (values) =>
    parts
      .map((part, i) => {
        if (i % 2 === 0) return part;
        const value = values[part];
        if (value === undefined) throw new Error(`no value for :${part}`);
        return sqlLiteral(value);
      })
      .join('');
}

const engagementColumns = (e: Engagement) => ({
  max_scroll_depth: e.maxScrollDepth,
  active_ms: e.activeMs,
  clicks: e.clicks,
  form_starts: e.formStarts,
  form_submits: e.formSubmits,
  page_views: e.pageViews,
});

/** The project's lock, shared with other batches (see CountingClock). */
const LOCK_PROJECT_SHARED = sqlTemplate(
  `SELECT pg_advisory_xact_lock_shared(${PROJECT_LOCK_SPACE}, hashtext(:project))`,
);

/** The visitors' advisory locks, in one order (no deadlock). */
const LOCK_VISITORS = sqlTemplate(`
SELECT pg_advisory_xact_lock(${VISITOR_LOCK_SPACE}, h)
FROM (SELECT DISTINCT hashtext(:project || chr(10) || v) AS h
      FROM json_array_elements_text(:visitors::json) AS v) AS hashes
ORDER BY h`);

/**
 * Stores the batch's events and, in the same statement, reads what counting needs: the
 * experiments its exposures name, its visitors' engagement totals and counted exposures, and
 * the arms of the allocation versions it claims. Every read sees the database as it was before
 * the statement.
 */
const READ_AND_STORE_EVENTS = sqlTemplate(`
WITH input AS (
  SELECT * FROM json_to_recordset(:events::json) AS t(
    event_id text, type text, visitor_id text, experiment_key text, goal_key text,
    payload jsonb, is_bot boolean, client_at timestamptz, occurred_at timestamptz)
), stored AS (
  INSERT INTO events (project_id, event_id, type, visitor_id, experiment_key, goal_key, payload,
                      is_bot, client_at, occurred_at, received_at)
  SELECT :project, event_id, type, visitor_id, experiment_key, goal_key, payload, is_bot,
         client_at, occurred_at, :receivedAt::timestamptz
  FROM input ORDER BY event_id COLLATE "C"
  ON CONFLICT (project_id, event_id) DO NOTHING
  RETURNING event_id
), named AS (
  SELECT id, key, status, variants, allocation_version FROM experiments
  WHERE project_id = :project
    AND key = ANY (ARRAY(SELECT json_array_elements_text(:keys::json)))
)
SELECT
  (SELECT coalesce(json_agg(event_id), '[]') FROM stored) AS fresh,
  (SELECT coalesce(json_agg(json_build_object(
     'id', id, 'key', key, 'status', status, 'variants', variants,
     'allocationVersion', allocation_version)), '[]')
   FROM named) AS experiments,
  (SELECT coalesce(json_agg(json_build_object(
     'visitorId', visitor_id, 'maxScrollDepth', max_scroll_depth, 'activeMs', active_ms,
     'clicks', clicks, 'formStarts', form_starts, 'formSubmits', form_submits,
     'pageViews', page_views)), '[]')
   FROM visitors
   WHERE project_id = :project
     AND visitor_id = ANY (ARRAY(SELECT json_array_elements_text(:visitors::json)))
  ) AS totals,
  (SELECT coalesce(json_agg(json_build_object(
     'experimentId', x.experiment_id, 'experimentKey', e.key, 'experimentStatus', e.status,
     'visitorId', x.visitor_id, 'variantKey', x.variant_key,
     'exposedAt', (extract(epoch FROM x.exposed_at) * 1000)::float8)), '[]')
   FROM exposures x JOIN experiments e ON e.id = x.experiment_id
   WHERE x.project_id = :project
     AND x.visitor_id = ANY (ARRAY(SELECT json_array_elements_text(:visitors::json)))
  ) AS exposures,
  (SELECT coalesce(json_agg(json_build_object(
     'experimentId', a.experiment_id, 'version', a.version,
     'arms', jsonb_array_length(a.weights))), '[]')
   FROM allocation_epochs a JOIN named n ON n.id = a.experiment_id
   WHERE a.version = ANY (ARRAY(SELECT json_array_elements_text(:versions::json)::int))
  ) AS arms`);

/** SET clause adding a batch's engagement to a row's: the deepest scroll, and sums. */
const addEngagement = (table: string): string =>
  [
    `max_scroll_depth = greatest(${table}.max_scroll_depth, excluded.max_scroll_depth)`,
    ...['active_ms', 'clicks', 'form_starts', 'form_submits', 'page_views'].map(
      (column) => `${column} = ${table}.${column} + excluded.${column}`,
    ),
  ].join(',\n    ');

/**
 * Every count a batch changes, in one statement: visitors' totals, first exposures, first
 * conversions, goals, engagement, and the sufficient statistics derived from the rows the
 * exposure and conversion inserts actually wrote (PostgreSQL runs every data-modifying WITH
 * clause, read or not). The shared statistics rows come last and are held only until the
 * commit sent with it. Fails (SQLSTATE VV001) when a first exposure it meant to insert was
 * already there: counted by a concurrent batch after this one read.
 */
const WRITE_COUNTS = sqlTemplate(`
WITH visitor_input AS (
  SELECT * FROM json_to_recordset(:visitors::json) AS t(
    visitor_id text, max_scroll_depth float8, active_ms float8, clicks int, form_starts int,
    form_submits int, page_views int, first_seen_at timestamptz, last_seen_at timestamptz)
), visitor_rows AS (
  INSERT INTO visitors (project_id, visitor_id, max_scroll_depth, active_ms, clicks, form_starts,
                        form_submits, page_views, first_seen_at, last_seen_at)
  SELECT :project, visitor_id, max_scroll_depth, active_ms, clicks, form_starts, form_submits,
         page_views, first_seen_at, last_seen_at
  FROM visitor_input ORDER BY visitor_id COLLATE "C"
  ON CONFLICT (project_id, visitor_id) DO UPDATE SET
    ${addEngagement('visitors')},
    first_seen_at = least(visitors.first_seen_at, excluded.first_seen_at),
    last_seen_at = greatest(visitors.last_seen_at, excluded.last_seen_at)
), exposure_input AS (
  SELECT * FROM json_to_recordset(:exposures::json) AS t(
    experiment_id text, visitor_id text, variant_key text, allocation_version int,
    exposed_at timestamptz, pre_engagement jsonb)
), exposure_rows AS (
  INSERT INTO exposures (experiment_id, visitor_id, project_id, variant_key, allocation_version,
                         exposed_at, pre_engagement)
  SELECT experiment_id, visitor_id, :project, variant_key, allocation_version, exposed_at,
         pre_engagement
  FROM exposure_input ORDER BY experiment_id COLLATE "C", visitor_id COLLATE "C"
  ON CONFLICT (experiment_id, visitor_id) DO NOTHING
  RETURNING experiment_id, visitor_id, variant_key, allocation_version
), conversion_input AS (
  SELECT * FROM json_to_recordset(:conversions::json) AS t(
    experiment_id text, visitor_id text, goal_key text, variant_key text,
    converted_at timestamptz)
), conversion_rows AS (
  INSERT INTO conversions (experiment_id, visitor_id, goal_key, variant_key, converted_at)
  SELECT experiment_id, visitor_id, goal_key, variant_key, converted_at
  FROM conversion_input
  ORDER BY experiment_id COLLATE "C", visitor_id COLLATE "C", goal_key COLLATE "C"
  ON CONFLICT (experiment_id, visitor_id, goal_key) DO NOTHING
  RETURNING experiment_id, visitor_id, goal_key, variant_key
), engagement_input AS (
  SELECT * FROM json_to_recordset(:engagement::json) AS t(
    experiment_id text, visitor_id text, variant_key text, max_scroll_depth float8,
    active_ms float8, clicks int, form_starts int, form_submits int, page_views int,
    updated_at timestamptz)
), engagement_rows AS (
  INSERT INTO experiment_engagement (experiment_id, visitor_id, variant_key, max_scroll_depth,
    active_ms, clicks, form_starts, form_submits, page_views, updated_at)
  SELECT experiment_id, visitor_id, variant_key, max_scroll_depth, active_ms, clicks,
         form_starts, form_submits, page_views, updated_at
  FROM engagement_input ORDER BY experiment_id COLLATE "C", visitor_id COLLATE "C"
  ON CONFLICT (experiment_id, visitor_id) DO UPDATE SET
    ${addEngagement('experiment_engagement')},
    updated_at = greatest(experiment_engagement.updated_at, excluded.updated_at)
), goal_input AS (
  SELECT * FROM json_to_recordset(:goals::json) AS t(
    key text, status text, source text, kind text, label text, selector text, events int,
    seen_at timestamptz)
), goal_rows AS (
  INSERT INTO goals (project_id, key, status, source, kind, label, selector, events,
                     first_seen_at, last_seen_at)
  SELECT :project, key, status, source, kind, label, selector, events, seen_at, seen_at
  FROM goal_input ORDER BY key COLLATE "C"
  ON CONFLICT (project_id, key) DO UPDATE SET
    events = goals.events + excluded.events,
    last_seen_at = greatest(goals.last_seen_at, excluded.last_seen_at),
    -- A goal named in code is confirmed, even if a heuristic proposed it first.
    status = CASE WHEN excluded.source = 'track' AND goals.status = 'candidate'
                  THEN 'confirmed' ELSE goals.status END
), conflict_input AS (
  SELECT * FROM json_to_recordset(:conflicts::json) AS t(
    experiment_id text, variant_key text, allocation_version int, conflicting_exposures int)
), exposure_stats AS (
  INSERT INTO variant_exposure_stats (experiment_id, variant_key, allocation_version, visitors,
                                      conflicting_exposures)
  SELECT experiment_id, variant_key, allocation_version, sum(visitors), sum(conflicts)
  FROM (
    SELECT experiment_id, variant_key, allocation_version, 1 AS visitors, 0 AS conflicts
    FROM exposure_rows
    UNION ALL
    SELECT experiment_id, variant_key, allocation_version, 0, conflicting_exposures
    FROM conflict_input
  ) AS deltas
  GROUP BY experiment_id, variant_key, allocation_version
  ORDER BY experiment_id COLLATE "C", variant_key COLLATE "C", allocation_version
  ON CONFLICT (experiment_id, variant_key, allocation_version) DO UPDATE SET
    visitors = variant_exposure_stats.visitors + excluded.visitors,
    conflicting_exposures =
      variant_exposure_stats.conflicting_exposures + excluded.conflicting_exposures
), goal_stats AS (
  INSERT INTO variant_goal_stats (experiment_id, variant_key, goal_key, conversions)
  SELECT experiment_id, variant_key, goal_key, count(*) FROM conversion_rows
  GROUP BY experiment_id, variant_key, goal_key
  ORDER BY experiment_id COLLATE "C", variant_key COLLATE "C", goal_key COLLATE "C"
  ON CONFLICT (experiment_id, variant_key, goal_key) DO UPDATE SET
    conversions = variant_goal_stats.conversions + excluded.conversions
)
SELECT
  vibariant_assert(
    (SELECT count(*) FROM exposure_rows) = (SELECT count(*) FROM exposure_input),
    'a concurrent batch exposed the same visitor first') AS exposures_written,
  (SELECT coalesce(json_agg(experiment_id || chr(10) || visitor_id || chr(10) || goal_key), '[]')
   FROM conversion_rows) AS conversions`);

/** Parses a json column: PGlite hands back parsed JSON, pg too (json type); both are covered. */
const parsed = <T>(value: unknown): T =>
  (typeof value === 'string' ? JSON.parse(value) : value) as T;

/**
 * One batch's transaction on a connection of its own, in three round trips: `begin` (BEGIN and
 * the visitors' locks), `storeEvents` (store and read), `commit` (every count, and COMMIT).
 * Values are written into the SQL as literals, so several statements go in one round trip.
 */
export class IngestionTransaction {
  private open = false;

  constructor(
    private readonly session: SqlSession,
    private readonly projectId: string,
  ) {}

  /** Whether the transaction was begun and has not committed. */
  get isOpen(): boolean {
    return this.open;
  }

  /**
   * Begins the transaction, takes the project's lock shared (waiting while a change of its
   * experiments holds it), then waits until no other transaction counts a batch of these
   * visitors and holds them until this one ends (transaction-scoped advisory locks).
   */
  async begin(visitorIds: readonly string[]): Promise<void> {
    this.open = true;
    const statements = ['BEGIN', LOCK_PROJECT_SHARED({ project: this.projectId })];
    if (visitorIds.length > 0) {
      statements.push(
        LOCK_VISITORS({ project: this.projectId, visitors: JSON.stringify(visitorIds) }),
      );
    }
    await this.session.script(statements.join(';\n'));
  }

  /** Stores the events not stored before and reads what counting them needs (one statement). */
  async storeEvents(
    events: readonly StoredEvent[],
    receivedAt: Date,
    lookups: BatchLookups,
  ): Promise<BatchState> {
    const [result] = await this.session.script(
      READ_AND_STORE_EVENTS({
        events: rows(events, (e) => ({
          event_id: e.eventId,
          type: e.type,
          visitor_id: e.visitorId,
          experiment_key: e.experimentKey,
          goal_key: e.goalKey,
          payload: e.payload,
          is_bot: e.isBot,
          client_at: e.clientAt?.toISOString() ?? null,
          occurred_at: e.occurredAt.toISOString(),
        })),
        project: this.projectId,
        receivedAt: receivedAt.toISOString(),
        keys: JSON.stringify(lookups.experimentKeys),
        visitors: JSON.stringify(lookups.visitorIds),
        versions: JSON.stringify(lookups.claimedVersions),
      }),
    );
    const row: Row = result?.[0] ?? {};
    const totals = new Map<string, Engagement>();
    for (const t of parsed<(Engagement & { visitorId: string })[]>(row.totals)) {
      const { visitorId, ...engagement } = t;
      totals.set(visitorId, engagement);
    }
    const arms = new Map<string, Map<number, number>>();
    for (const a of parsed<{ experimentId: string; version: number; arms: number }[]>(row.arms)) {
      const byVersion = arms.get(a.experimentId) ?? new Map<number, number>();
      byVersion.set(a.version, a.arms);
      arms.set(a.experimentId, byVersion);
    }
    return {
      fresh: new Set(parsed<string[]>(row.fresh)),
      experiments: new Map(parsed<ExperimentRef[]>(row.experiments).map((e) => [e.key, e])),
      totals,
      exposures: parsed<VisitorExposure[]>(row.exposures),
      arms,
    };
  }

  /**
   * Writes every count of the batch (one statement) and commits, in one round trip; returns
   * the conversions inserted. Without writes, only commits.
   * @throws ExposureRaceError when a first exposure to insert was already there (rolled back
   *   by the caller's session).
   */
  async commit(writes: BatchWrites = NO_WRITES): Promise<BatchWritten> {
    const nothing = Object.values(writes).every((list: readonly unknown[]) => list.length === 0);
    if (nothing) {
      await this.session.script('COMMIT');
      this.open = false;
      return { conversions: new Set() };
    }
    const sql = WRITE_COUNTS({
      project: this.projectId,
      visitors: rows(writes.visitors, (v) => ({
        visitor_id: v.visitorId,
        ...engagementColumns(v.engagement),
        first_seen_at: v.firstSeenAt.toISOString(),
        last_seen_at: v.lastSeenAt.toISOString(),
      })),
      exposures: rows(writes.exposures, (e) => ({
        experiment_id: e.experimentId,
        visitor_id: e.visitorId,
        variant_key: e.variantKey,
        allocation_version: e.allocationVersion,
        exposed_at: e.exposedAt.toISOString(),
        pre_engagement: e.preEngagement,
      })),
      conversions: rows(writes.conversions, (c) => ({
        experiment_id: c.experimentId,
        visitor_id: c.visitorId,
        goal_key: c.goalKey,
        variant_key: c.variantKey,
        converted_at: c.convertedAt.toISOString(),
      })),
      engagement: rows(writes.engagement, (d) => ({
        experiment_id: d.experimentId,
        visitor_id: d.visitorId,
        variant_key: d.variantKey,
        ...engagementColumns(d.engagement),
        updated_at: d.at.toISOString(),
      })),
      goals: rows(writes.goals, (g) => ({
        key: g.key,
        status: g.status,
        source: g.source,
        kind: g.kind,
        label: g.label,
        selector: g.selector,
        events: g.events,
        seen_at: g.seenAt.toISOString(),
      })),
      conflicts: rows(writes.conflicts, (c) => ({
        experiment_id: c.experimentId,
        variant_key: c.variantKey,
        allocation_version: c.allocationVersion,
        conflicting_exposures: c.conflictingExposures,
      })),
    });
    let results: Row[][];
    try {
      results = await this.session.script(`${sql};\nCOMMIT`);
    } catch (error) {
      if ((error as { code?: unknown }).code === ASSERTION_FAILED) throw new ExposureRaceError();
      throw error;
    }
    this.open = false;
    return { conversions: new Set(parsed<string[]>(results[0]?.[0]?.conversions)) };
  }
}

/**
 * Runs batches' transactions, each on a connection of its own, again from the start after an
 * exposure race.
 */
export class IngestionStore {
  constructor(private readonly db: Database) {}

  /**
   * Runs `work` in a new transaction: committed by `work` through `commit`, rolled back when
   * `work` throws or returns without committing.
   */
  async transaction<T>(
    projectId: string,
    work: (tx: IngestionTransaction) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.session(async (session) => {
          const tx = new IngestionTransaction(session, projectId);
          const result = await work(tx);
          if (tx.isOpen) await session.script('ROLLBACK');
          return result;
        });
      } catch (error) {
        if (!(error instanceof ExposureRaceError) || attempt > RACE_RETRIES) throw error;
      }
    }
  }
}
