import type { Knex } from 'knex';

export type GoalStatus = 'candidate' | 'confirmed' | 'rejected';

/** A conversion goal: named in code (`track`) or proposed by the SDK's DOM heuristics. */
export interface Goal {
  readonly key: string;
  readonly status: GoalStatus;
  readonly source: 'track' | 'detected';
  readonly kind: string | null;
  readonly label: string | null;
  readonly selector: string | null;
  /** Events seen for this goal (every visitor, every time). */
  readonly events: number;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

interface GoalRow {
  key: string;
  status: GoalStatus;
  source: 'track' | 'detected';
  kind: string | null;
  label: string | null;
  selector: string | null;
  events: number;
  first_seen_at: Date;
  last_seen_at: Date;
}

const toGoal = (r: GoalRow): Goal => ({
  key: r.key,
  status: r.status,
  source: r.source,
  kind: r.kind,
  label: r.label,
  selector: r.selector,
  events: r.events,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
});

/** A project's goals. */
export class GoalStore {
  constructor(private readonly db: Knex) {}

  async list(projectId: string, filter: { status?: GoalStatus } = {}): Promise<Goal[]> {
    const query = this.db('goals').where({ project_id: projectId });
    if (filter.status) query.where({ status: filter.status });
    const rows: GoalRow[] = await query.orderBy('events', 'desc').orderBy('key');
    return rows.map(toGoal);
  }

  async find(projectId: string, key: string): Promise<Goal | undefined> {
    const row = await this.db('goals').where({ project_id: projectId, key }).first();
    return row ? toGoal(row) : undefined;
  }

  async setStatus(projectId: string, key: string, status: GoalStatus): Promise<Goal | undefined> {
    const [row] = await this.db('goals')
      .where({ project_id: projectId, key })
      .update({ status })
      .returning('*');
    return row ? toGoal(row as GoalRow) : undefined;
  }

  /**
   * Per goal key: converted visitors summed over the project's experiments (archived ones
   * included) and how many experiments have at least one of them. Reads the sufficient
   * statistics (one row per experiment, variant and goal), never the events. Goals without
   * conversions are absent. `keys` limits the answer to those goals.
   */
  async conversionTotals(
    projectId: string,
    keys?: readonly string[],
  ): Promise<Map<string, { convertedVisitors: number; experiments: number }>> {
    const query = this.db('variant_goal_stats as s')
      .join('experiments as e', 'e.id', 's.experiment_id')
      .where('e.project_id', projectId)
      .where('s.conversions', '>', 0)
      .groupBy('s.goal_key')
      .select('s.goal_key')
      .sum({ converted: 's.conversions' })
      .countDistinct({ experiments: 's.experiment_id' });
    if (keys) query.whereIn('s.goal_key', keys);
    const rows = (await query) as unknown as {
      goal_key: string;
      converted: number | string;
      experiments: number | string;
    }[];
    // sum() and count() are numeric and bigint: PGlite may hand them back as strings.
    return new Map(
      rows.map((r) => [
        r.goal_key,
        { convertedVisitors: Number(r.converted), experiments: Number(r.experiments) },
      ]),
    );
  }
}
