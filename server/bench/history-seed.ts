/**
 * Seeds an experiment's history in bulk with SQL (`INSERT … SELECT generate_series`) instead of
 * posting it: raw events, visitors, first exposures, conversions, engagement, goals and the
 * sufficient statistics, every table derived from the raw events so their counts agree, as if
 * the events had been ingested one batch at a time.
 *
 * Seeded visitor `h-<n>` has `eventsPerVisitor` events, twenty seconds apart: first an exposure
 * to the experiment (variant `control` for even n, `treatment` for odd n), then page views, goal
 * candidates and engagement events in a repeating pattern, and last a `purchase` conversion for
 * 4.6% (control) or 4.4% (treatment) of the visitors, an engagement event for the others. The
 * two rates are close on purpose: the experiment stays undecided (`keep_testing`) at any size
 * the benchmark uses, so every recompute does the same work.
 */
import type pg from 'pg';
import { NO_ENGAGEMENT } from '../src/features/ingestion/ingestion-store.js';
import type { KnownVisitors } from './traffic.js';

/** The variants of a seeded experiment, in order. */
export const SEEDED_VARIANTS = ['control', 'treatment'] as const;

/** How much history: `events` raw events, `eventsPerVisitor` (at least 3) per visitor. */
export interface HistoryShape {
  readonly events: number;
  readonly eventsPerVisitor: number;
}

/** The number of seeded visitors. */
export const visitorsOf = (shape: HistoryShape): number =>
  Math.floor(shape.events / shape.eventsPerVisitor);

/** Goal-candidate events per visitor: slots 1 … E-2 whose position in the pattern is 3 or 7. */
const candidatesPerVisitor = (shape: HistoryShape): number => {
  let n = 0;
  for (let s = 1; s <= shape.eventsPerVisitor - 2; s++) if (s % 8 === 3 || s % 8 === 7) n++;
  return n;
};

/** The experiment and project a history is seeded into. */
export interface SeedTarget {
  readonly projectId: string;
  readonly experimentId: string;
  readonly experimentKey: string;
}

/** Row counts after seeding, read back from the tables. */
export interface SeedCounts {
  readonly events: number;
  readonly visitors: number;
  readonly exposures: number;
  readonly conversions: number;
  /** Sums over the sufficient-statistics rows. */
  readonly statsVisitors: number;
  readonly statsConversions: number;
  readonly goalEvents: number;
  readonly engagementRows: number;
}

const SEED_EVENTS = `
WITH g AS (
  SELECT v, s,
    'h-' || v AS visitor_id,
    'h-' || v || '-' || s AS event_id,
    CASE WHEN v % 2 = 0 THEN 'control' ELSE 'treatment' END AS variant,
    ((v::bigint * 2654435761) % 1000) < 45 AS converts,
    to_timestamp(($4::float8 + v::float8 * $5::float8 / $3::float8 + s * 20000) / 1000) AS at
  FROM generate_series(0, $3::int - 1) AS v, generate_series(0, $6::int - 1) AS s
), t AS (
  SELECT g.*,
    CASE
      WHEN s = 0 THEN 'exposure'
      WHEN s = $6::int - 1 AND converts THEN 'conversion'
      WHEN s = $6::int - 1 THEN 'engagement'
      WHEN s % 8 IN (1, 5) THEN 'page_view'
      WHEN s % 8 IN (3, 7) THEN 'goal_candidate'
      ELSE 'engagement'
    END AS type,
    CASE WHEN s % 8 = 3 THEN 'click:#pricing-cta' ELSE 'submit:#signup-form' END AS candidate,
    (extract(epoch FROM at) * 1000)::bigint AS ms
  FROM g
)
INSERT INTO events (project_id, event_id, type, visitor_id, experiment_key, goal_key, payload,
  is_bot, client_at, occurred_at, received_at)
SELECT $1, event_id, type, visitor_id,
  CASE WHEN type = 'exposure' THEN $2::text END,
  CASE WHEN type = 'conversion' THEN 'purchase' WHEN type = 'goal_candidate' THEN candidate END,
  CASE type
    WHEN 'exposure' THEN jsonb_build_object('id', event_id, 'visitorId', visitor_id,
      'timestamp', ms, 'type', 'exposure', 'experiment', $2::text, 'variant', variant,
      'allocationVersion', 1, 'variants', jsonb_build_array('control', 'treatment'))
    WHEN 'page_view' THEN jsonb_build_object('id', event_id, 'visitorId', visitor_id,
      'timestamp', ms, 'type', 'page_view', 'path', CASE WHEN s % 8 = 1 THEN '/' ELSE '/pricing' END,
      'referrer', 'https://www.google.com/')
    WHEN 'goal_candidate' THEN jsonb_build_object('id', event_id, 'visitorId', visitor_id,
      'timestamp', ms, 'type', 'goal_candidate', 'goal', candidate,
      'kind', CASE WHEN s % 8 = 3 THEN 'click' ELSE 'form_submit' END,
      'label', CASE WHEN s % 8 = 3 THEN 'See pricing' ELSE 'Create account' END,
      'selector', CASE WHEN s % 8 = 3 THEN '#pricing-cta' ELSE '#signup-form' END)
    WHEN 'conversion' THEN jsonb_build_object('id', event_id, 'visitorId', visitor_id,
      'timestamp', ms, 'type', 'conversion', 'goal', 'purchase')
    ELSE jsonb_build_object('id', event_id, 'visitorId', visitor_id, 'timestamp', ms,
      'type', 'engagement', 'scrollDepth', round(0.1 * (s % 10), 1), 'activeMs', 2000 + (v % 13) * 1000,
      'clicks', v % 3)
  END,
  false, at, at, at
FROM t`;

const SEED_VISITORS = `
INSERT INTO visitors (project_id, visitor_id, max_scroll_depth, active_ms, clicks, form_starts,
  form_submits, page_views, first_seen_at, last_seen_at)
SELECT project_id, visitor_id,
  coalesce(max((payload->>'scrollDepth')::float8), 0),
  coalesce(sum((payload->>'activeMs')::float8), 0),
  coalesce(sum((payload->>'clicks')::int), 0),
  coalesce(sum((payload->>'formStarts')::int), 0),
  coalesce(sum((payload->>'formSubmits')::int), 0),
  count(*) FILTER (WHERE type = 'page_view'),
  min(occurred_at), max(occurred_at)
FROM events WHERE project_id = $1 AND NOT is_bot
GROUP BY project_id, visitor_id`;

// The exposure is each seeded visitor's first event: no engagement before it.
const SEED_EXPOSURES = `
INSERT INTO exposures (experiment_id, visitor_id, project_id, variant_key, allocation_version,
  exposed_at, pre_engagement)
SELECT DISTINCT ON (visitor_id) $2, visitor_id, project_id, payload->>'variant', 1, occurred_at,
  $4::jsonb
FROM events
WHERE project_id = $1 AND type = 'exposure' AND experiment_key = $3 AND NOT is_bot
ORDER BY visitor_id, occurred_at`;

const SEED_CONVERSIONS = `
INSERT INTO conversions (experiment_id, visitor_id, goal_key, variant_key, converted_at)
SELECT x.experiment_id, e.visitor_id, e.goal_key, x.variant_key, min(e.occurred_at)
FROM events e
JOIN exposures x ON x.experiment_id = $2 AND x.visitor_id = e.visitor_id
  AND x.exposed_at <= e.occurred_at
WHERE e.project_id = $1 AND e.type = 'conversion' AND NOT e.is_bot
GROUP BY x.experiment_id, e.visitor_id, e.goal_key, x.variant_key`;

const SEED_ENGAGEMENT = `
INSERT INTO experiment_engagement (experiment_id, visitor_id, variant_key, max_scroll_depth,
  active_ms, clicks, form_starts, form_submits, page_views, updated_at)
SELECT x.experiment_id, e.visitor_id, x.variant_key,
  coalesce(max((e.payload->>'scrollDepth')::float8), 0),
  coalesce(sum((e.payload->>'activeMs')::float8), 0),
  coalesce(sum((e.payload->>'clicks')::int), 0),
  coalesce(sum((e.payload->>'formStarts')::int), 0),
  coalesce(sum((e.payload->>'formSubmits')::int), 0),
  count(*) FILTER (WHERE e.type = 'page_view'),
  max(e.occurred_at)
FROM events e
JOIN exposures x ON x.experiment_id = $2 AND x.visitor_id = e.visitor_id
  AND x.exposed_at <= e.occurred_at
WHERE e.project_id = $1 AND e.type IN ('engagement', 'page_view') AND NOT e.is_bot
GROUP BY x.experiment_id, e.visitor_id, x.variant_key`;

const SEED_GOALS = `
INSERT INTO goals (project_id, key, status, source, kind, label, selector, events,
  first_seen_at, last_seen_at)
SELECT project_id, goal_key,
  CASE WHEN bool_or(type = 'conversion') THEN 'confirmed' ELSE 'candidate' END,
  CASE WHEN bool_or(type = 'conversion') THEN 'track' ELSE 'detected' END,
  max(payload->>'kind'), max(payload->>'label'), max(payload->>'selector'),
  count(*), min(occurred_at), max(occurred_at)
FROM events WHERE project_id = $1 AND goal_key IS NOT NULL AND NOT is_bot
GROUP BY project_id, goal_key`;

const SEED_EXPOSURE_STATS = `
INSERT INTO variant_exposure_stats (experiment_id, variant_key, allocation_version, visitors,
  conflicting_exposures)
SELECT experiment_id, variant_key, allocation_version, count(*), 0
FROM exposures WHERE experiment_id = $1
GROUP BY experiment_id, variant_key, allocation_version`;

const SEED_GOAL_STATS = `
INSERT INTO variant_goal_stats (experiment_id, variant_key, goal_key, conversions)
SELECT experiment_id, variant_key, goal_key, count(*)
FROM conversions WHERE experiment_id = $1
GROUP BY experiment_id, variant_key, goal_key`;

const COUNTS = `
SELECT
  (SELECT count(*) FROM events WHERE project_id = $1)::int AS events,
  (SELECT count(*) FROM visitors WHERE project_id = $1)::int AS visitors,
  (SELECT count(*) FROM exposures WHERE experiment_id = $2)::int AS exposures,
  (SELECT count(*) FROM conversions WHERE experiment_id = $2)::int AS conversions,
  (SELECT coalesce(sum(visitors), 0) FROM variant_exposure_stats
    WHERE experiment_id = $2)::int AS "statsVisitors",
  (SELECT coalesce(sum(conversions), 0) FROM variant_goal_stats
    WHERE experiment_id = $2)::int AS "statsConversions",
  (SELECT coalesce(sum(events), 0) FROM goals WHERE project_id = $1)::int AS "goalEvents",
  (SELECT count(*) FROM experiment_engagement WHERE experiment_id = $2)::int AS "engagementRows"`;

/** The tables seeding writes (analysed at the end). */
const SEEDED_TABLES = [
  'events',
  'visitors',
  'exposures',
  'conversions',
  'experiment_engagement',
  'goals',
  'variant_exposure_stats',
  'variant_goal_stats',
];

/**
 * Seeds a history of this shape into the target's project and experiment, which must both exist
 * and be empty, then analyses the tables. Returns the counts read back and the time of each step.
 */
export async function seedHistory(
  pool: pg.Pool,
  target: SeedTarget,
  shape: HistoryShape,
  now = Date.now(),
): Promise<{ counts: SeedCounts; stepsMs: Record<string, number> }> {
  const visitors = visitorsOf(shape);
  const day = 86_400_000;
  const { projectId, experimentId, experimentKey } = target;
  const stepsMs: Record<string, number> = {};
  const step = async (name: string, sql: string, values: unknown[]) => {
    const start = performance.now();
    await pool.query(sql, values);
    stepsMs[name] = (stepsMs[name] ?? 0) + performance.now() - start;
  };
  await step('events', SEED_EVENTS, [
    projectId,
    experimentKey,
    visitors,
    now - 30 * day,
    25 * day,
    shape.eventsPerVisitor,
  ]);
  // Fresh statistics first: the joins below are planned from them.
  await step('analyze', 'ANALYZE events', []);
  await step('visitors', SEED_VISITORS, [projectId]);
  await step('exposures', SEED_EXPOSURES, [
    projectId,
    experimentId,
    experimentKey,
    JSON.stringify(NO_ENGAGEMENT),
  ]);
  await step('analyze', 'ANALYZE exposures', []);
  await step('conversions', SEED_CONVERSIONS, [projectId, experimentId]);
  await step('engagement', SEED_ENGAGEMENT, [projectId, experimentId]);
  await step('goals', SEED_GOALS, [projectId]);
  await step('exposure stats', SEED_EXPOSURE_STATS, [experimentId]);
  await step('goal stats', SEED_GOAL_STATS, [experimentId]);
  await step('analyze', `ANALYZE ${SEEDED_TABLES.join(', ')}`, []);
  const { rows } = await pool.query<SeedCounts>(COUNTS, [projectId, experimentId]);
  return { counts: rows[0]!, stepsMs };
}

/** True when the seeded tables agree with each other (what a recount would find). */
export function seedIsConsistent(counts: SeedCounts, shape: HistoryShape): boolean {
  const visitors = visitorsOf(shape);
  return (
    counts.events === visitors * shape.eventsPerVisitor &&
    counts.visitors === visitors &&
    counts.exposures === visitors &&
    counts.statsVisitors === counts.exposures &&
    counts.statsConversions === counts.conversions &&
    counts.engagementRows === visitors &&
    // The goal candidates, plus one event per conversion.
    counts.goalEvents === candidatesPerVisitor(shape) * visitors + counts.conversions
  );
}

/** The seeded visitors, for traffic that brings them back. */
export function seededVisitors(shape: HistoryShape): KnownVisitors {
  return {
    count: visitorsOf(shape),
    idOf: (n) => `h-${n}`,
    variantOf: (_experimentKey, visitorId) => {
      if (!visitorId.startsWith('h-')) return undefined;
      return SEEDED_VARIANTS[Number(visitorId.slice(2)) % 2];
    },
  };
}
