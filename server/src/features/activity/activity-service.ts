import { z } from 'zod';
import type { DomainEvents } from '../../domain-events.js';
import type { Actor } from '../../request-context.js';
import { parseInput } from '../../validation.js';
import type { ExperimentService } from '../experiments/experiment-service.js';
import { newId } from '../projects/credentials.js';
import type { Note, NoteStore } from './note-store.js';

/** Most notes one list returns. */
export const MAX_NOTES = 200;

const noteInput = z.object({ body: z.string().trim().min(1).max(5_000) }).strict();

/** The request schemas this service validates with, also the API reference's (http/openapi.ts). */
export const activityInputs = { note: noteInput };

/** An experiment's activity feed: notes people write, announced to everyone watching. */
export class ActivityService {
  constructor(
    private readonly notes: NoteStore,
    private readonly experiments: ExperimentService,
    private readonly events: DomainEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Adds a note (`body.body`, 1 to 5,000 characters) by `author` to the experiment's feed and
   * announces it as `note:added`.
   * @throws NotFoundError (404) when the project has no such experiment; ValidationError (400,
   *   field `body`).
   */
  async addNote(projectId: string, key: string, author: Actor, body: unknown): Promise<Note> {
    const input = parseInput(noteInput, body ?? {});
    const experiment = await this.experiments.get(projectId, key);
    const note = await this.notes.insert({
      id: newId(),
      experimentId: experiment.id,
      authorUserId: author.kind === 'user' ? author.userId : null,
      authorLabel: author.label,
      body: input.body,
      createdAt: new Date(this.now()),
    });
    this.events.emit('note:added', { projectId, experimentId: experiment.id, note });
    return note;
  }

  /**
   * The experiment's latest notes (at most 200), oldest first.
   * @throws NotFoundError (404) when the project has no such experiment.
   */
  async listNotes(projectId: string, key: string): Promise<Note[]> {
    const experiment = await this.experiments.get(projectId, key);
    return this.notes.list(experiment.id, MAX_NOTES);
  }
}
