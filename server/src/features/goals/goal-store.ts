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
}
