import type { Knex } from 'knex';

/** First key of the project locks (the second is `hashtext(project ID)`). */
export const PROJECT_LOCK_SPACE = 7_261_131;

/**
 * The clock of everything the audit's replay orders by time: the `received_at` of batches, and
 * the creation, status changes and allocation epochs of experiments (changes). Within this
 * process, a batch's stamp comes after every earlier batch's and every change's, and a change's
 * after every batch's stamped so far; changes may share a millisecond with each other.
 *
 * With the project lock it also orders them as the database saw them: a change takes its
 * project's lock exclusively (`lockProject`) and only then its time; a batch takes the lock
 * shared, then its time, then reads. So a batch stamped before a change did not see it, and a
 * batch stamped after it did, which is what the replay assumes.
 */
export class CountingClock {
  private lastBatch = Number.NEGATIVE_INFINITY;
  private beforeLastBatch = Number.NEGATIVE_INFINITY;
  private lastChange = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number = Date.now) {}

  /** A batch's `received_at`, in milliseconds since the epoch. */
  batch(): number {
    this.beforeLastBatch = this.lastBatch;
    this.lastBatch = Math.max(this.now(), this.lastBatch + 1, this.lastChange + 1);
    return this.lastBatch;
  }

  /** Takes back a batch's stamp, unused, when no later one was handed out. */
  giveBack(stamp: number): void {
    if (stamp === this.lastBatch) this.lastBatch = this.beforeLastBatch;
  }

  /** A change's time: at least `atLeast` (milliseconds since the epoch). */
  change(atLeast: number = this.now()): number {
    const stamp = Math.max(atLeast, this.lastBatch + 1);
    this.lastChange = Math.max(this.lastChange, stamp);
    return stamp;
  }
}

/**
 * Takes the lock of project `projectId` exclusively, until `trx` ends: batches of that project
 * wait before they are stamped (see `CountingClock`).
 */
export async function lockProject(trx: Knex, projectId: string): Promise<void> {
  await trx.raw(`SELECT pg_advisory_xact_lock(${PROJECT_LOCK_SPACE}, hashtext(?))`, [projectId]);
}

/** `lockProject` for the project of experiment `experimentId`. */
export async function lockProjectOfExperiment(trx: Knex, experimentId: string): Promise<void> {
  await trx.raw(
    `SELECT pg_advisory_xact_lock(${PROJECT_LOCK_SPACE}, hashtext(project_id))
     FROM experiments WHERE id = ?`,
    [experimentId],
  );
}
