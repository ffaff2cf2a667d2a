import { z } from 'zod';
import type { DomainEvents } from '../../domain-events.js';
import { parseInput } from '../../validation.js';
import { newId } from '../projects/credentials.js';
import type { Notification, NotificationKind, NotificationStore } from './notification-store.js';

const listQuery = z
  .object({
    unread: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();

const readInput = z
  .object({ ids: z.array(z.string().min(1).max(100)).min(1).max(200).optional() })
  .strict();

/**
 * Notifications: recorded once per event (callers guarantee the once, with a compare-and-set),
 * announced as `notification:created` (the realtime layer pushes them, webhooks deliver them),
 * listed and marked read.
 */
export class NotificationService {
  constructor(
    private readonly store: NotificationStore,
    private readonly events: DomainEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a notification and announces it. */
  async record(notification: {
    projectId: string;
    experimentId: string | null;
    kind: NotificationKind;
    payload: Record<string, unknown>;
  }): Promise<Notification> {
    const stored = await this.store.insert({
      id: newId(),
      createdAt: new Date(this.now()),
      ...notification,
    });
    this.events.emit('notification:created', stored);
    return stored;
  }

  /**
   * The project's latest notifications, newest first (`?unread=true` for unread ones only,
   * `?limit=` 1 to 200, default 50).
   * @throws ValidationError (400) naming the query field.
   */
  list(projectId: string, query: unknown): Promise<Notification[]> {
    const q = parseInput(listQuery, query, 'query');
    return this.store.list(projectId, { unread: q.unread === 'true', limit: q.limit ?? 50 });
  }

  /**
   * Marks notifications read for the whole team: `body.ids`, or all of the project's when
   * absent. Returns how many were unread.
   * @throws ValidationError (400, field `ids`).
   */
  async markRead(projectId: string, body: unknown): Promise<number> {
    const { ids } = parseInput(readInput, body ?? {});
    return this.store.markRead(projectId, ids, new Date(this.now()));
  }
}
