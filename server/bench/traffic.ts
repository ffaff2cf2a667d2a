/**
 * Synthetic SDK traffic for the ingestion benchmark: batches of 50 events in the mix a page with
 * two running experiments sends (exposures of new and returning visitors, conversions, goal
 * candidates from the DOM heuristics, engagement, page views), each event with a fresh
 * client-generated ID, plus the same events as rows of the `events` table for the plain-insert
 * baseline.
 */
import { randomUUID } from 'node:crypto';
import { assignVariant, equalWeights } from '@vibariant/sdk/core';
import type { IngestEvent } from '../src/contracts/events.js';

/** An experiment the traffic is exposed to (created code-first by its first exposure). */
export interface ExperimentSpec {
  readonly key: string;
  readonly variants: readonly string[];
}

/** Visitors that already exist in the database (seeded history) and can come back. */
export interface KnownVisitors {
  readonly count: number;
  /** The ID of known visitor `n`, 0 <= n < count. */
  readonly idOf: (n: number) => string;
  /** The variant a known visitor was first exposed to, when it was. */
  readonly variantOf: (experimentKey: string, visitorId: string) => string | undefined;
}

export interface TrafficOptions {
  readonly experiments: readonly ExperimentSpec[];
  /** Seed of the pseudo-random choices (values, returning visitors); IDs are random UUIDs. */
  readonly seed?: number;
  /**
   * A returning visitor is drawn from the visitors this model introduced at least this many
   * batches earlier, so that with requests in flight their first batch is (almost always)
   * stored before they come back.
   */
  readonly returningLag?: number;
  /** Visitors already in the database; returning visitors are drawn from them too. */
  readonly known?: KnownVisitors;
}

/** One batch: the request body and the events in it. */
export interface Batch {
  readonly sentAt: number;
  readonly events: readonly IngestEvent[];
}

/** Events per batch: 10 exposures, 5 conversions, 10 goal candidates, 20 engagement, 5 views. */
export const BATCH_SIZE = 50;
const NEW_PER_BATCH = 5;
const RETURNING_PER_BATCH = 5;

const GOAL_CANDIDATES = [
  { goal: 'click:#pricing-cta', kind: 'click', label: 'See pricing', selector: '#pricing-cta' },
  { goal: 'click:#add-to-cart', kind: 'click', label: 'Add to cart', selector: '#add-to-cart' },
  {
    goal: 'click:nav a[href="/docs"]',
    kind: 'click',
    label: 'Docs',
    selector: 'nav a[href="/docs"]',
  },
  {
    goal: 'submit:#signup-form',
    kind: 'form_submit',
    label: 'Create account',
    selector: '#signup-form',
  },
  {
    goal: 'submit:#newsletter',
    kind: 'form_submit',
    label: 'Subscribe',
    selector: '#newsletter',
  },
  { goal: 'view:/thank-you', kind: 'page_view', label: 'Thank you', selector: undefined },
] as const;
const TRACKED_GOALS = ['purchase', 'signup'] as const;
const PATHS = ['/', '/pricing', '/features', '/docs/getting-started', '/blog/launch', '/checkout'];
const REFERRERS = ['https://www.google.com/', 'https://news.ycombinator.com/', '', ''];

/** mulberry32: a small, fast, seedable generator of numbers in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Generates batches one after another. The model remembers the visitors it introduced so that
 * later batches bring some of them back (returning visitors, repeated exposures, conversions
 * after exposure).
 */
export class TrafficModel {
  private readonly random: () => number;
  private readonly introduced: string[] = [];
  private readonly returningLag: number;

  constructor(private readonly options: TrafficOptions) {
    this.random = mulberry32(options.seed ?? 1);
    this.returningLag = options.returningLag ?? 40;
  }

  /** `count` new batches, stamped as sent now. */
  take(count: number): Batch[] {
    const out: Batch[] = [];
    for (let i = 0; i < count; i++) out.push(this.next());
    return out;
  }

  /** The next batch, stamped as sent now. */
  next(): Batch {
    const sentAt = Date.now();
    const fresh = Array.from({ length: NEW_PER_BATCH }, () => randomUUID());
    const returning = Array.from({ length: RETURNING_PER_BATCH }, () => this.returningVisitor());
    const visitors = [...fresh, ...returning];
    const experiments = this.options.experiments;
    // Client clocks: the batch covers the last minute; exposures come first on the page.
    let clock = sentAt - 60_000;
    const at = () => {
      clock += 1 + Math.floor(this.random() * 900);
      return clock;
    };
    const events: IngestEvent[] = [];

    visitors.forEach((visitorId, i) => {
      const experiment = experiments[i % experiments.length]!;
      events.push({
        type: 'exposure',
        id: randomUUID(),
        visitorId,
        timestamp: at(),
        experiment: experiment.key,
        variant: this.variantOf(experiment, visitorId),
        allocationVersion: 1,
        variants: [...experiment.variants],
      });
    });
    for (let i = 0; i < 5; i++) {
      events.push({
        type: 'page_view',
        id: randomUUID(),
        visitorId: fresh[i]!,
        timestamp: at(),
        path: this.pick(PATHS),
        referrer: this.pick(REFERRERS),
      });
    }
    for (let round = 0; round < 2; round++) {
      for (const visitorId of visitors) {
        events.push({
          type: 'engagement',
          id: randomUUID(),
          visitorId,
          timestamp: at(),
          scrollDepth: Math.round(this.random() * 100) / 100,
          activeMs: 500 + Math.floor(this.random() * 29_500),
          clicks: Math.floor(this.random() * 6),
          ...(this.random() < 0.2 ? { formStarts: 1 } : {}),
        });
      }
    }
    for (const visitorId of visitors) {
      const candidate = this.pick(GOAL_CANDIDATES);
      events.push({
        type: 'goal_candidate',
        id: randomUUID(),
        visitorId,
        timestamp: at(),
        goal: candidate.goal,
        kind: candidate.kind,
        label: candidate.label,
        ...(candidate.selector === undefined ? {} : { selector: candidate.selector }),
      });
    }
    // Two new visitors convert in their first session, three returning ones later.
    for (const visitorId of [fresh[0]!, fresh[1]!, ...returning.slice(0, 3)]) {
      events.push({
        type: 'conversion',
        id: randomUUID(),
        visitorId,
        timestamp: at(),
        goal: this.pick(TRACKED_GOALS),
      });
    }

    this.introduced.push(...fresh);
    return { sentAt, events };
  }

  private returningVisitor(): string {
    const known = this.options.known;
    const eligible = Math.max(0, this.introduced.length - this.returningLag * NEW_PER_BATCH);
    const pool = eligible + (known?.count ?? 0);
    if (pool === 0) return randomUUID();
    const n = Math.floor(this.random() * pool);
    return n < eligible ? this.introduced[n]! : known!.idOf(n - eligible);
  }

  private variantOf(experiment: ExperimentSpec, visitorId: string): string {
    const known = this.options.known?.variantOf(experiment.key, visitorId);
    if (known !== undefined) return known;
    const index = assignVariant(
      visitorId,
      experiment.key,
      equalWeights(experiment.variants.length),
    );
    return experiment.variants[index]!;
  }

  private pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)]!;
  }
}

/** The request body of a batch, as the SDK sends it. */
export function batchBody(batch: Batch): string {
  return JSON.stringify({ sentAt: batch.sentAt, events: batch.events });
}

/** The columns `IngestionTransaction.insertEvents` writes, in this order. */
export const EVENT_COLUMNS = [
  'project_id',
  'event_id',
  'type',
  'visitor_id',
  'experiment_key',
  'goal_key',
  'payload',
  'is_bot',
  'client_at',
  'occurred_at',
  'received_at',
] as const;

/** `INSERT INTO events (…) VALUES (…), …` for `rows` rows, with bound parameters. */
export function plainInsertSql(rows: number): string {
  const width = EVENT_COLUMNS.length;
  const tuples = Array.from(
    { length: rows },
    (_, r) => `(${EVENT_COLUMNS.map((_, c) => `$${r * width + c + 1}`).join(', ')})`,
  );
  return `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`;
}

/**
 * The batch's events as the bound parameters of {@link plainInsertSql}: the values the API
 * stores for them, each under a fresh event ID so the rows can go into the same table.
 */
export function plainInsertValues(projectId: string, batch: Batch): unknown[] {
  const receivedAt = new Date(batch.sentAt);
  const values: unknown[] = [];
  for (const event of batch.events) {
    const at = new Date(event.timestamp ?? batch.sentAt);
    values.push(
      projectId,
      randomUUID(),
      event.type,
      event.visitorId,
      event.type === 'exposure' || event.type === 'conversion' ? (event.experiment ?? null) : null,
      event.type === 'conversion' || event.type === 'goal_candidate' ? event.goal : null,
      JSON.stringify(event),
      false,
      at,
      at,
      receivedAt,
    );
  }
  return values;
}
