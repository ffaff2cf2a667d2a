import type { Knex } from 'knex';

export interface Webhook {
  readonly id: string;
  readonly projectId: string;
  readonly url: string;
  readonly createdAt: Date;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One message to one webhook, with its attempts so far. */
export interface Delivery {
  readonly id: string;
  readonly webhookId: string;
  /** Null for a test message. */
  readonly notificationId: string | null;
  readonly body: Record<string, unknown>;
  readonly state: DeliveryState;
  readonly attempts: number;
  /** HTTP status of the last attempt; null when it got no answer. */
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  notification_id: string | null;
  body: Record<string, unknown>;
  state: DeliveryState;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  notificationId: r.notification_id,
  body: r.body,
  state: r.state,
  attempts: r.attempts,
  lastStatus: r.last_status,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toWebhook = (r: { id: string; project_id: string; url: string; created_at: Date }) => ({
  id: r.id,
  projectId: r.project_id,
  url: r.url,
  createdAt: r.created_at,
});

/** Webhooks, and the queue and log of their deliveries. */
export class WebhookStore {
  constructor(private readonly db: Knex) {}

  async insert(webhook: Webhook & { secret: string }): Promise<Webhook> {
    const [row] = await this.db('webhooks')
      .insert({
        id: webhook.id,
        project_id: webhook.projectId,
        url: webhook.url,
        secret: webhook.secret,
        created_at: webhook.createdAt,
      })
      .returning(['id', 'project_id', 'url', 'created_at']);
    return toWebhook(row);
  }

  async list(projectId: string): Promise<Webhook[]> {
    const rows = await this.db('webhooks')
      .where({ project_id: projectId })
      .orderBy('created_at')
      .select('id', 'project_id', 'url', 'created_at');
    return rows.map(toWebhook);
  }

  async find(projectId: string, id: string): Promise<Webhook | undefined> {
    const row = await this.db('webhooks')
      .where({ project_id: projectId, id })
      .first('id', 'project_id', 'url', 'created_at');
    return row ? toWebhook(row) : undefined;
  }

  /** Deletes the webhook and its deliveries; false when there was none. */
  async delete(projectId: string, id: string): Promise<boolean> {
    const rows: unknown[] = await this.db('webhooks')
      .where({ project_id: projectId, id })
      .delete()
      .returning('id');
    return rows.length === 1;
  }

  /** Where a webhook posts, and the secret that signs its deliveries. */
  async target(id: string): Promise<{ url: string; secret: string } | undefined> {
    return this.db('webhooks').where({ id }).first('url', 'secret');
  }

  /**
   * Queues a message for every webhook of the project (once per webhook and notification,
   * whoever calls); returns the deliveries queued.
   */
  async enqueueForProject(
    projectId: string,
    notificationId: string | null,
    body: Record<string, unknown>,
    newId: () => string,
    at: Date,
  ): Promise<Delivery[]> {
    const hooks = await this.list(projectId);
    if (hooks.length === 0) return [];
    const rows: DeliveryRow[] = await this.db('webhook_deliveries')
      .insert(
        hooks.map((hook) => ({
          id: newId(),
          webhook_id: hook.id,
          notification_id: notificationId,
          body: JSON.stringify(body),
          state: 'pending',
          next_attempt_at: at,
          created_at: at,
          updated_at: at,
        })),
      )
      .onConflict(['webhook_id', 'notification_id'])
      .ignore()
      .returning('*');
    return rows.map(toDelivery);
  }

  /** Queues one message to one webhook (a test). */
  async enqueueOne(
    webhookId: string,
    body: Record<string, unknown>,
    id: string,
    at: Date,
  ): Promise<Delivery> {
    const [row] = await this.db('webhook_deliveries')
      .insert({
        id,
        webhook_id: webhookId,
        notification_id: null,
        body: JSON.stringify(body),
        state: 'pending',
        next_attempt_at: at,
        created_at: at,
        updated_at: at,
      })
      .returning('*');
    return toDelivery(row as DeliveryRow);
  }

  /**
   * Claims up to `limit` deliveries due at `at`, of webhooks not in `busyWebhooks`: their next attempt is pushed to `leaseUntil`,
   * so that no other server (or loop) takes them meanwhile (`FOR UPDATE SKIP LOCKED`); a
   * server that dies holding them leaves them to be retried when the lease ends.
   */
  async claimDue(
    at: Date,
    leaseUntil: Date,
    limit: number,
    busyWebhooks: readonly string[],
  ): Promise<Delivery[]> {
    // Fresh deliveries before retries (a receiver that keeps failing waits behind the others),
    // and none for webhooks that already have their share in flight.
    const result: { rows: DeliveryRow[] } = await this.db.raw(
      `UPDATE webhook_deliveries SET next_attempt_at = :leaseUntil
       WHERE id IN (
         SELECT id FROM webhook_deliveries
         WHERE state = 'pending' AND next_attempt_at <= :at
           AND webhook_id <> ALL (ARRAY(SELECT json_array_elements_text(:busy::json)))
         ORDER BY attempts, next_attempt_at LIMIT :limit
         FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      { at, leaseUntil, limit, busy: JSON.stringify(busyWebhooks) },
    );
    return result.rows.map(toDelivery);
  }

  /** How many webhooks the project has. */
  async count(projectId: string): Promise<number> {
    const [row] = await this.db('webhooks').where({ project_id: projectId }).count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  /** Records an attempt's outcome. */
  async recordAttempt(
    id: string,
    outcome: {
      state: DeliveryState;
      attempts: number;
      lastStatus: number | null;
      lastError: string | null;
      nextAttemptAt: Date | null;
      at: Date;
    },
  ): Promise<void> {
    await this.db('webhook_deliveries').where({ id }).update({
      state: outcome.state,
      attempts: outcome.attempts,
      last_status: outcome.lastStatus,
      last_error: outcome.lastError,
      next_attempt_at: outcome.nextAttemptAt,
      updated_at: outcome.at,
    });
  }

  /** A webhook's latest deliveries, newest first. */
  async deliveries(webhookId: string, limit: number): Promise<Delivery[]> {
    const rows: DeliveryRow[] = await this.db('webhook_deliveries')
      .where({ webhook_id: webhookId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(toDelivery);
  }
}
