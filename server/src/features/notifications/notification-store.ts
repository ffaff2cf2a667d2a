import type { Knex } from 'knex';

/** What the team is told: an experiment reaching a decision, or a sample ratio mismatch. */
export type NotificationKind = 'ready_to_ship' | 'practically_equivalent' | 'srm_detected';

export interface Notification {
  readonly id: string;
  readonly projectId: string;
  readonly experimentId: string | null;
  readonly kind: NotificationKind;
  readonly payload: Record<string, unknown>;
  readonly createdAt: Date;
  /** When someone of the team marked it read (one state for the whole team); null: unread. */
  readonly readAt: Date | null;
}

interface NotificationRow {
  id: string;
  project_id: string;
  experiment_id: string | null;
  kind: NotificationKind;
  payload: Record<string, unknown>;
  created_at: Date;
  read_at: Date | null;
}

const toNotification = (r: NotificationRow): Notification => ({
  id: r.id,
  projectId: r.project_id,
  experimentId: r.experiment_id,
  kind: r.kind,
  payload: r.payload,
  createdAt: r.created_at,
  readAt: r.read_at,
});

/** A project's notifications. */
export class NotificationStore {
  constructor(private readonly db: Knex) {}

  async insert(notification: Omit<Notification, 'readAt'>): Promise<Notification> {
    const [row] = await this.db('notifications')
      .insert({
        id: notification.id,
        project_id: notification.projectId,
        experiment_id: notification.experimentId,
        kind: notification.kind,
        payload: JSON.stringify(notification.payload),
        created_at: notification.createdAt,
      })
      .returning('*');
    return toNotification(row as NotificationRow);
  }

  /** The latest `limit` notifications, newest first; only unread ones when asked. */
  async list(
    projectId: string,
    options: { unread: boolean; limit: number },
  ): Promise<Notification[]> {
    const query = this.db<NotificationRow>('notifications')
      .where({ project_id: projectId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(options.limit);
    if (options.unread) query.whereNull('read_at');
    return (await query).map(toNotification);
  }

  /** Email addresses of the project's members who asked for notifications by email. */
  async emailSubscribers(projectId: string): Promise<string[]> {
    const rows: { email: string }[] = await this.db('project_members as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where({ 'm.project_id': projectId, 'm.email_notifications': true })
      .orderBy('u.email')
      .select('u.email');
    return rows.map((r) => r.email);
  }

  /** A member's choice of email notifications; undefined when the user is no member. */
  async emailNotifications(projectId: string, userId: string): Promise<boolean | undefined> {
    const row = await this.db('project_members')
      .where({ project_id: projectId, user_id: userId })
      .first('email_notifications');
    return row ? Boolean(row.email_notifications) : undefined;
  }

  /** Sets a member's choice of email notifications; false when the user is no member. */
  async setEmailNotifications(projectId: string, userId: string, on: boolean): Promise<boolean> {
    const rows: unknown[] = await this.db('project_members')
      .where({ project_id: projectId, user_id: userId })
      .update({ email_notifications: on })
      .returning('user_id');
    return rows.length === 1;
  }

  /** Marks the given notifications (all when `ids` is undefined) read; returns how many. */
  async markRead(projectId: string, ids: readonly string[] | undefined, at: Date): Promise<number> {
    const query = this.db('notifications').where({ project_id: projectId }).whereNull('read_at');
    if (ids !== undefined) query.whereIn('id', [...ids]);
    const rows: unknown[] = await query.update({ read_at: at }).returning('id');
    return rows.length;
  }
}
