import type { Knex } from 'knex';

/** A note in an experiment's activity feed. */
export interface Note {
  readonly id: string;
  readonly experimentId: string;
  /** The signed-in author, or null for an API key or a removed user. */
  readonly authorUserId: string | null;
  /** How the author is shown: a name or an email, or "API key". */
  readonly authorLabel: string;
  readonly body: string;
  readonly createdAt: Date;
}

interface NoteRow {
  id: string;
  experiment_id: string;
  author_user_id: string | null;
  author_label: string;
  body: string;
  created_at: Date;
}

const toNote = (r: NoteRow): Note => ({
  id: r.id,
  experimentId: r.experiment_id,
  authorUserId: r.author_user_id,
  authorLabel: r.author_label,
  body: r.body,
  createdAt: r.created_at,
});

/** Notes of experiments' activity feeds. */
export class NoteStore {
  constructor(private readonly db: Knex) {}

  async insert(note: Note): Promise<Note> {
    const [row] = await this.db('experiment_notes')
      .insert({
        id: note.id,
        experiment_id: note.experimentId,
        author_user_id: note.authorUserId,
        author_label: note.authorLabel,
        body: note.body,
        created_at: note.createdAt,
      })
      .returning('*');
    return toNote(row as NoteRow);
  }

  /** The experiment's latest `limit` notes, oldest first. */
  async list(experimentId: string, limit: number): Promise<Note[]> {
    const rows: NoteRow[] = await this.db('experiment_notes')
      .where({ experiment_id: experimentId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.reverse().map(toNote);
  }
}
