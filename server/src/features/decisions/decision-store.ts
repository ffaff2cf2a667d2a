import type { Decision } from '@vibariant/stats';
import type { Knex } from 'knex';

/** Sufficient statistics of one experiment for one goal. */
export interface ExperimentStats {
  /** First-exposed visitors per variant key. */
  readonly visitors: Map<string, number>;
  /** Converted visitors per variant key, for the goal asked for. */
  readonly conversions: Map<string, number>;
  /** First-exposed visitors per allocation version, then per variant key. */
  readonly visitorsByVersion: Map<number, Map<string, number>>;
  /** Later exposures naming another variant than the counted one, per variant key. */
  readonly conflictingExposures: Map<string, number>;
}

export interface DecisionSnapshot {
  readonly goal: string | null;
  readonly status: string;
  readonly decision: Decision;
  readonly takenAt: Date;
}

/** Reads sufficient statistics; writes decision snapshots. */
export class DecisionStore {
  constructor(private readonly db: Knex) {}

  /** O(variants x allocation versions) rows: never a scan of events. */
  async readStats(experimentId: string, goal: string | null): Promise<ExperimentStats> {
    // One statement, so one snapshot: visitors and conversions from the same committed batches
    // (two reads could see a batch's conversions without its exposures).
    const result: {
      rows: {
        goal: boolean;
        variant_key: string;
        allocation_version: number | null;
        visitors: number | null;
        conflicting_exposures: number | null;
        conversions: number | null;
      }[];
    } = await this.db.raw(
      `SELECT false AS goal, variant_key, allocation_version, visitors, conflicting_exposures,
              NULL::bigint AS conversions
       FROM variant_exposure_stats WHERE experiment_id = :experimentId
       UNION ALL
       SELECT true, variant_key, NULL, NULL, NULL, conversions
       FROM variant_goal_stats WHERE experiment_id = :experimentId AND goal_key = :goal`,
      { experimentId, goal: goal ?? '' },
    );
    const visitors = new Map<string, number>();
    const conflictingExposures = new Map<string, number>();
    const visitorsByVersion = new Map<number, Map<string, number>>();
    const conversions = new Map<string, number>();
    for (const r of result.rows) {
      if (r.goal) {
        if (goal !== null) conversions.set(r.variant_key, r.conversions ?? 0);
        continue;
      }
      const count = r.visitors ?? 0;
      const version = r.allocation_version ?? 0;
      visitors.set(r.variant_key, (visitors.get(r.variant_key) ?? 0) + count);
      conflictingExposures.set(
        r.variant_key,
        (conflictingExposures.get(r.variant_key) ?? 0) + (r.conflicting_exposures ?? 0),
      );
      const byVariant = visitorsByVersion.get(version) ?? new Map<string, number>();
      byVariant.set(r.variant_key, count);
      visitorsByVersion.set(version, byVariant);
    }
    return { visitors, conversions, visitorsByVersion, conflictingExposures };
  }

  /** The project's confirmed goal with the most conversions in this experiment, if any. */
  async mostConvertedConfirmedGoal(
    projectId: string,
    experimentId: string,
  ): Promise<string | null> {
    const row: { goal_key: string } | undefined = await this.db('variant_goal_stats as s')
      .join('goals as g', function () {
        this.on('g.key', 's.goal_key').andOnVal('g.project_id', projectId);
      })
      .where({ 's.experiment_id': experimentId, 'g.status': 'confirmed' })
      .groupBy('s.goal_key')
      .orderByRaw('sum(s.conversions) desc, s.goal_key asc')
      .first('s.goal_key');
    return row?.goal_key ?? null;
  }

  /**
   * Final conversion rates (conversions / visitors) of the variants of the project's latest 100
   * stopped experiments, read from their stored decisions: the historical prior's input.
   */
  async historicalRates(projectId: string, excludeId: string): Promise<number[]> {
    const result: { rows: { rate: number }[] } = await this.db.raw(
      `SELECT (v->>'conversions')::float8 / (v->>'visitors')::float8 AS rate
       FROM (SELECT decision FROM experiments
             WHERE project_id = :projectId AND status = 'stopped' AND id <> :excludeId
               AND decision IS NOT NULL
             ORDER BY stopped_at DESC LIMIT 100) AS stopped,
            jsonb_array_elements(stopped.decision->'variants') AS v
       WHERE (v->>'visitors')::float8 > 0`,
      { projectId, excludeId },
    );
    return result.rows.map((r) => r.rate);
  }

  async lastSnapshotAt(experimentId: string): Promise<Date | null> {
    const row: { taken_at: Date } | undefined = await this.db('decision_snapshots')
      .where({ experiment_id: experimentId })
      .orderBy('taken_at', 'desc')
      .first('taken_at');
    return row?.taken_at ?? null;
  }

  async insertSnapshot(experimentId: string, snapshot: DecisionSnapshot): Promise<void> {
    await this.db('decision_snapshots').insert({
      experiment_id: experimentId,
      goal_key: snapshot.goal,
      status: snapshot.status,
      decision: JSON.stringify(snapshot.decision),
      taken_at: snapshot.takenAt,
    });
  }

  async listSnapshots(experimentId: string, limit: number): Promise<DecisionSnapshot[]> {
    const rows: { goal_key: string | null; status: string; decision: Decision; taken_at: Date }[] =
      await this.db('decision_snapshots')
        .where({ experiment_id: experimentId })
        .orderBy('taken_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit);
    return rows
      .map((r) => ({
        goal: r.goal_key,
        status: r.status,
        decision: r.decision,
        takenAt: r.taken_at,
      }))
      .reverse();
  }
}
