import type { Logger } from 'pino';
import { z } from 'zod';
import type { DomainEvents } from '../../domain-events.js';
import { NotFoundError } from '../../errors/app-error.js';
import { parseInput } from '../../validation.js';
import type { Mailer } from '../accounts/mailer.js';
import { newId } from '../projects/credentials.js';
import type { Notification, NotificationKind, NotificationStore } from './notification-store.js';

const listQuery = z
  .object({
    unread: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();

const settingsInput = z.object({ email: z.boolean() }).strict();

const subjects: Record<NotificationKind, string> = {
  ready_to_ship: 'is ready to ship',
  practically_equivalent: 'found its variants practically equivalent',
  srm_detected: 'has a sample ratio mismatch',
};

const readInput = z
  .object({ ids: z.array(z.string().min(1).max(100)).min(1).max(200).optional() })
  .strict();

/** The request schemas this service validates with, also the API reference's (http/openapi.ts). */
export const notificationInputs = { listQuery, settings: settingsInput, read: readInput };

/**
 * Notifications: recorded once per event (callers guarantee the once, with a compare-and-set),
 * announced as `notification:created` (the realtime layer pushes them, webhooks deliver them),
 * listed and marked read.
 */
export class NotificationService {
  constructor(
    private readonly store: NotificationStore,
    private readonly events: DomainEvents,
    private readonly mail: { mailer: Mailer; publicUrl: string; logger: Logger },
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records a notification, announces it, and mails it to the members who asked for email
   * (in the background: a mail server that fails is logged, never the caller's problem).
   */
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
    void this.mailSubscribers(stored).catch((error: unknown) =>
      this.mail.logger.warn({ err: error, notificationId: stored.id }, 'notification mail failed'),
    );
    return stored;
  }

  /**
   * Whether a member gets notifications by email.
   * @throws NotFoundError (404) when not a member.
   */
  async getEmail(projectId: string, userId: string): Promise<{ email: boolean }> {
    const email = await this.store.emailNotifications(projectId, userId);
    if (email === undefined) throw new NotFoundError('member', userId);
    return { email };
  }

  /**
   * Turns notifications by email on or off for a member (`body.email`).
   * @throws ValidationError (400, field `email`); NotFoundError (404) when not a member.
   */
  async setEmail(projectId: string, userId: string, body: unknown): Promise<{ email: boolean }> {
    const { email } = parseInput(settingsInput, body ?? {});
    if (!(await this.store.setEmailNotifications(projectId, userId, email))) {
      throw new NotFoundError('member', userId);
    }
    return { email };
  }

  private async mailSubscribers(n: Notification): Promise<void> {
    const to = await this.store.emailSubscribers(n.projectId);
    const experiment = String(
      n.payload.experimentName ?? n.payload.experimentKey ?? 'An experiment',
    );
    const recommendation =
      typeof n.payload.recommendation === 'string' ? n.payload.recommendation : '';
    for (const address of to) {
      await this.mail.mailer.send({
        to: address,
        subject: `Vibariant: "${experiment}" ${subjects[n.kind]}`,
        text: [recommendation, '', `Open Vibariant: ${this.mail.publicUrl}/`].join('\n'),
      });
    }
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
