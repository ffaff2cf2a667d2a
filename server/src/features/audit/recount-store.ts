import type { Knex } from 'knex';

/** Event types that count as conversions; engagement and page views change no count. */
const CONVERSION_TYPES = ['conversion', 'goal_candidate'] as const;

/** Events fetched per round trip while streaming the log (keyset pagination). */
const PAGE_SIZE = 5_000;

/** Rows per multi-row INSERT when the statistics are rewritten. */
const INSERT_CHUNK = 500;

/** An experiment as the recount needs it: its identity and its current variant list. */
export interface RecountExperiment {
  readonly id: string;
  readonly key: string;
  /** Current variant keys, in arm order (arms are only ever appended). */
  readonly variantKeys: readonly string[];
  /** The current allocation version (`experiments.allocation_version`). */
  readonly allocationVersion: number;
}

/** One row of `experiment_status_changes`: the status holds from `changedAt` on. */
export interface StatusChange {
  readonly experimentId: string;
  readonly status: string;
  /** Milliseconds since the epoch. */
  readonly changedAt: number;
}

/** One row of `allocation_epochs`: the allocation `version` in force from `startedAt` on. */
export interface EpochStart {
  readonly experimentId: string;
  readonly version: number;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  /**
   * Number of weights, which is the number of arms the experiment had in this epoch (every
   * change of arms starts a new epoch, and arms are only appended).
   */
  readonly arms: number;
}

/** A stored, human (non-bot) event as the replay reads it. Times in ms since the epoch. */
export interface LogEvent {
  readonly eventId: string;
  readonly type: string;
  readonly visitorId: string;
  /** Exposure: the experiment it names. Conversion: the one experiment it is restricted to. */
  readonly experimentKey: string | null;
  /** Exposure: the variant it names (`payload.variant`). */
  readonly variantKey: string | null;
  /** Conversion and goal candidate: the goal. */
  readonly goalKey: string | null;
  /** Exposure: the payload's `allocationVersion`, when it was an integer. */
  readonly allocationVersion: number | null;
  /** Client time corrected for skew, never after `receivedAt` (as ingestion stored it). */
  readonly occurredAt: number;
  /** Server time of the batch the event arrived in. */
  readonly receivedAt: number;
}

/** One `variant_exposure_stats` row. */
export interface ExposureStatRow {
  readonly experimentId: string;
  readonly variantKey: string;
  readonly allocationVersion: number;
  readonly visitors: number;
  readonly conflictingExposures: number;
}

/** One `variant_goal_stats` row. */
export interface GoalStatRow {
  readonly experimentId: string;
  readonly variantKey: string;
  readonly goalKey: string;
  readonly conversions: number;
}

interface EventRow {
  event_id: string;
  type: string;
  visitor_id: string;
  experiment_key: string | null;
  goal_key: string | null;
  variant_key: string | null;
  allocation_version: string | null;
  occurred_at: Date | string;
  received_at: Date | string;
  // Exact (microsecond) text of the sort columns, for the keyset cursor.
  received_key: string;
  occurred_key: string;
}

const millis = (value: Date | string): number => new Date(value).getTime();

const parseVersion = (text: string | null): number | null => {
  if (text === null) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
};

/**
 * The reads and writes of one recount, bound to one transaction (see {@link RecountStore}).
 * Every method reads only the tables it names; none touches the ingestion code.
 */
export class RecountTransaction {
  constructor(readonly trx: Knex.Transaction) {}

  /** Whether the project exists. One primary-key lookup. */
  async projectExists(projectId: string): Promise<boolean> {
    const row = await this.trx('projects').where({ id: projectId }).first('id');
    return row !== undefined;
  }

  /**
   * The project's experiments (archived ones included: their counts are stored too), ordered by
   * key; only the one with `key` when given. O(experiments).
   */
  async experiments(projectId: string, key?: string): Promise<RecountExperiment[]> {
    const query = this.trx('experiments')
      .where({ project_id: projectId })
      .select('id', 'key', 'variants', 'allocation_version')
      .orderBy('key');
    if (key !== undefined) query.where({ key });
    const rows: {
      id: string;
      key: string;
      variants: { key: string }[];
      allocation_version: number;
    }[] = await query;
    return rows.map((r) => ({
      id: r.id,
      key: r.key,
      variantKeys: r.variants.map((v) => v.key),
      allocationVersion: r.allocation_version,
    }));
  }

  /** Status changes of these experiments, per experiment oldest first (ties: insertion order). */
  async statusChanges(experimentIds: readonly string[]): Promise<StatusChange[]> {
    if (experimentIds.length === 0) return [];
    const rows: { experiment_id: string; status: string; changed_at: Date | string }[] =
      await this.trx('experiment_status_changes')
        .whereIn('experiment_id', experimentIds)
        .orderBy(['experiment_id', 'changed_at', 'id'])
        .select('experiment_id', 'status', 'changed_at');
    return rows.map((r) => ({
      experimentId: r.experiment_id,
      status: r.status,
      changedAt: millis(r.changed_at),
    }));
  }

  /** Allocation epochs of these experiments, per experiment by version. */
  async allocationEpochs(experimentIds: readonly string[]): Promise<EpochStart[]> {
    if (experimentIds.length === 0) return [];
    const rows: {
      experiment_id: string;
      version: number;
      started_at: Date | string;
      arms: number | string;
    }[] = await this.trx('allocation_epochs')
      .whereIn('experiment_id', experimentIds)
      .orderBy(['experiment_id', 'version'])
      .select(
        'experiment_id',
        'version',
        'started_at',
        this.trx.raw('jsonb_array_length(weights) as arms'),
      );
    return rows.map((r) => ({
      experimentId: r.experiment_id,
      version: r.version,
      startedAt: millis(r.started_at),
      arms: Number(r.arms),
    }));
  }

  /**
   * The project's human exposures in replay order: `received_at, occurred_at, event_id` (the ID
   * compared byte-wise, `COLLATE "C"`, so both drivers and every database locale agree). Only
   * those naming `experimentKey` when given. Streams pages of 5,000 by keyset: memory O(page),
   * and O(E) rows read in all (see `stream`).
   */
  exposures(projectId: string, experimentKey?: string): AsyncGenerator<LogEvent> {
    return this.stream(projectId, 'exposure', (q) => {
      if (experimentKey !== undefined) q.where({ experiment_key: experimentKey });
    });
  }

  /**
   * The project's human conversions in replay order, then its goal candidates in replay order
   * (as {@link exposures}). Conversion counts do not depend on the order between the two: an
   * (experiment, visitor, goal) counts once if any of its events qualifies, under the variant of
   * the first exposure. With `experimentKey`, conversions restricted to another experiment are
   * left out.
   */
  async *conversions(projectId: string, experimentKey?: string): AsyncGenerator<LogEvent> {
    for (const type of CONVERSION_TYPES) {
      yield* this.stream(projectId, type, (q) => {
        if (experimentKey !== undefined) {
          q.where((w) => w.whereNull('experiment_key').orWhere({ experiment_key: experimentKey }));
        }
      });
    }
  }

  /**
   * One event type in replay order, page by page. Per type so that the index on
   * (project_id, type, received_at) serves each page as a range scan from the cursor's
   * received_at, sorted further only within one received_at: O(page) per page, O(E) in all.
   */
  private async *stream(
    projectId: string,
    type: string,
    narrow: (query: Knex.QueryBuilder) => void,
  ): AsyncGenerator<LogEvent> {
    let cursor: { received: string; occurred: string; eventId: string } | undefined;
    for (;;) {
      const query = this.trx('events')
        .where({ project_id: projectId, type, is_bot: false })
        .select(
          'event_id',
          'type',
          'visitor_id',
          'experiment_key',
          'goal_key',
          this.trx.raw(`payload->>'variant' as variant_key`),
          this.trx.raw(`payload->>'allocationVersion' as allocation_version`),
          'occurred_at',
          'received_at',
          this.trx.raw('received_at::text as received_key'),
          this.trx.raw('occurred_at::text as occurred_key'),
        )
        .orderByRaw('received_at, occurred_at, event_id collate "C"')
        .limit(PAGE_SIZE);
      narrow(query);
      if (cursor) {
        // The first condition is implied by the second; it is the one the index can use.
        query.whereRaw('received_at >= ?::timestamptz', [cursor.received]);
        query.whereRaw(
          '(received_at, occurred_at, event_id collate "C") > (?::timestamptz, ?::timestamptz, ? collate "C")',
          [cursor.received, cursor.occurred, cursor.eventId],
        );
      }
      const rows: EventRow[] = await query;
      for (const r of rows) {
        yield {
          eventId: r.event_id,
          type: r.type,
          visitorId: r.visitor_id,
          experimentKey: r.experiment_key,
          goalKey: r.goal_key,
          variantKey: r.variant_key,
          allocationVersion: parseVersion(r.allocation_version),
          occurredAt: millis(r.occurred_at),
          receivedAt: millis(r.received_at),
        };
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE_SIZE) return;
      cursor = { received: last.received_key, occurred: last.occurred_key, eventId: last.event_id };
    }
  }

  /** The stored sufficient statistics of these experiments. O(variants x versions + goals). */
  async storedStats(
    experimentIds: readonly string[],
  ): Promise<{ exposures: ExposureStatRow[]; goals: GoalStatRow[] }> {
    if (experimentIds.length === 0) return { exposures: [], goals: [] };
    const exposureRows: {
      experiment_id: string;
      variant_key: string;
      allocation_version: number;
      visitors: number | string;
      conflicting_exposures: number | string;
    }[] = await this.trx('variant_exposure_stats').whereIn('experiment_id', experimentIds);
    const goalRows: {
      experiment_id: string;
      variant_key: string;
      goal_key: string;
      conversions: number | string;
    }[] = await this.trx('variant_goal_stats').whereIn('experiment_id', experimentIds);
    return {
      exposures: exposureRows.map((r) => ({
        experimentId: r.experiment_id,
        variantKey: r.variant_key,
        allocationVersion: r.allocation_version,
        visitors: Number(r.visitors),
        conflictingExposures: Number(r.conflicting_exposures),
      })),
      goals: goalRows.map((r) => ({
        experimentId: r.experiment_id,
        variantKey: r.variant_key,
        goalKey: r.goal_key,
        conversions: Number(r.conversions),
      })),
    };
  }

  /**
   * Replaces the experiment's rows in `variant_exposure_stats` and `variant_goal_stats` with
   * these (rows whose counts are all zero are not written). Inside this transaction.
   */
  async replaceStats(
    experimentId: string,
    exposures: readonly ExposureStatRow[],
    goals: readonly GoalStatRow[],
  ): Promise<void> {
    await this.trx('variant_exposure_stats').where({ experiment_id: experimentId }).delete();
    await this.trx('variant_goal_stats').where({ experiment_id: experimentId }).delete();
    const exposureRows = exposures
      .filter((r) => r.visitors > 0 || r.conflictingExposures > 0)
      .map((r) => ({
        experiment_id: experimentId,
        variant_key: r.variantKey,
        allocation_version: r.allocationVersion,
        visitors: r.visitors,
        conflicting_exposures: r.conflictingExposures,
      }));
    const goalRows = goals
      .filter((r) => r.conversions > 0)
      .map((r) => ({
        experiment_id: experimentId,
        variant_key: r.variantKey,
        goal_key: r.goalKey,
        conversions: r.conversions,
      }));
    for (let i = 0; i < exposureRows.length; i += INSERT_CHUNK) {
      await this.trx('variant_exposure_stats').insert(exposureRows.slice(i, i + INSERT_CHUNK));
    }
    for (let i = 0; i < goalRows.length; i += INSERT_CHUNK) {
      await this.trx('variant_goal_stats').insert(goalRows.slice(i, i + INSERT_CHUNK));
    }
  }
}

/**
 * Transactions for the recount. An audit reads in one REPEATABLE READ, READ ONLY snapshot, so
 * the event log and the statistics it is compared with are seen at the same instant (ingestion
 * writes both in one transaction). A repair first locks both statistics tables against writers
 * (SHARE ROW EXCLUSIVE: readers go on, ingestion's upserts wait), then reads in a REPEATABLE READ
 * snapshot, so no batch can commit counts between the recount and the rewrite; batches already
 * holding the tables are waited for. The lock is on whole tables, so counting batches of every
 * project wait while the log is replayed (about 75,000 events a second on PostgreSQL): this is
 * the repair tool, not the hot path. On PGlite, whose only connection the transaction holds,
 * every other query waits for it, audits included.
 */
export class RecountStore {
  constructor(private readonly db: Knex) {}

  /** Runs `work` in a read-only snapshot. */
  snapshot<T>(work: (tx: RecountTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => work(new RecountTransaction(trx)), {
      isolationLevel: 'repeatable read',
      readOnly: true,
    });
  }

  /** Runs `work` in a transaction that holds the statistics tables against concurrent writers. */
  exclusive<T>(work: (tx: RecountTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction(
      async (trx) => {
        // Both tables in one statement, in the order ingestion writes them (no deadlock). The
        // snapshot freezes at the first query after the lock, so it holds every batch that
        // counted anything before the lock and none after.
        await trx.raw(
          'LOCK TABLE variant_exposure_stats, variant_goal_stats IN SHARE ROW EXCLUSIVE MODE',
        );
        return work(new RecountTransaction(trx));
      },
      { isolationLevel: 'repeatable read' },
    );
  }
}
