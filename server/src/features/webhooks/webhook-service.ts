import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DomainEvents } from '../../domain-events.js';
import { NotFoundError } from '../../errors/app-error.js';
import { parseInput } from '../../validation.js';
import type { Notification } from '../notifications/notification-store.js';
import { newId } from '../projects/credentials.js';
import type { Delivery, Webhook, WebhookStore } from './webhook-store.js';

export interface WebhookOptions {
  /**
   * Waits before each retry, in milliseconds; a delivery is given up (`failed`) after
   * `retryDelaysMs.length + 1` attempts. Default: 10 s, 1 min, 5 min, 30 min, 2 h.
   */
  readonly retryDelaysMs?: readonly number[];
  /** How often due deliveries are looked for, in milliseconds (default 1,000). */
  readonly pollIntervalMs?: number;
  /** How long one attempt may take, in milliseconds (default 10,000). */
  readonly timeoutMs?: number;
}

const DEFAULT_RETRY_DELAYS_MS = [10_000, 60_000, 300_000, 1_800_000, 7_200_000];
/** Deliveries one poll claims at most. */
const BATCH = 10;
/** Longest error message kept with a delivery. */
const MAX_ERROR = 500;

const webhookInput = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http or https URL' }).max(2_000),
  })
  .strict();

const titles: Record<string, string> = {
  ready_to_ship: 'is ready to ship',
  practically_equivalent: 'found its variants practically equivalent',
  srm_detected: 'has a sample ratio mismatch: check the assignment before trusting it',
};

/**
 * The body of a delivery: `text` for Slack-compatible incoming webhooks (which show it), and the
 * notification itself under `vibariant` for programs.
 */
export function webhookBody(n: Notification): Record<string, unknown> {
  const experiment = String(n.payload.experimentName ?? n.payload.experimentKey ?? 'An experiment');
  const recommendation =
    typeof n.payload.recommendation === 'string' ? ` ${n.payload.recommendation}` : '';
  return {
    text: `Vibariant: "${experiment}" ${titles[n.kind] ?? n.kind}.${recommendation}`,
    vibariant: {
      id: n.id,
      kind: n.kind,
      projectId: n.projectId,
      experimentId: n.experimentId,
      createdAt: n.createdAt.toISOString(),
      payload: n.payload,
    },
  };
}

/**
 * The signature header of a body: `sha256=` and the hex HMAC-SHA256 of the exact bytes sent,
 * under the webhook's secret (as GitHub signs its webhooks).
 */
export const signature = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * A project's webhooks: added and removed by owners, sent every notification (signed, retried
 * with backoff, each attempt recorded), and tested by hand. Deliveries are claimed with a lease,
 * so with several servers each is attempted by one at a time.
 */
export class WebhookService {
  private readonly retryDelaysMs: readonly number[];
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly store: WebhookStore,
    private readonly events: DomainEvents,
    private readonly logger: Logger,
    options: WebhookOptions = {},
    /** Wall-clock milliseconds (delivery timing is real time, whatever the domain clock). */
    private readonly clock: () => number = Date.now,
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Starts delivering: queues every notification for the project's webhooks. Returns stop. */
  start(): () => Promise<void> {
    this.stopped = false;
    const off = this.events.on('notification:created', (n) => {
      void this.store
        .enqueueForProject(n.projectId, n.id, webhookBody(n), newId, new Date(this.clock()))
        .then((queued) => queued.length > 0 && this.kick())
        .catch((error: unknown) => this.logger.error({ err: error }, 'webhook enqueue failed'));
    });
    this.schedule();
    return async () => {
      off();
      this.stopped = true;
      clearTimeout(this.timer);
      await this.polling;
    };
  }

  /**
   * Adds a webhook for `body.url` (http or https). The answer holds its signing secret, shown
   * this once.
   * @throws ValidationError (400, field `url`).
   */
  async add(projectId: string, body: unknown): Promise<{ webhook: Webhook; secret: string }> {
    const { url } = parseInput(webhookInput, body ?? {});
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const webhook = await this.store.insert({
      id: newId(),
      projectId,
      url,
      secret,
      createdAt: new Date(this.clock()),
    });
    return { webhook, secret };
  }

  /** The project's webhooks, each with its 10 latest deliveries. */
  async list(projectId: string): Promise<(Webhook & { deliveries: Delivery[] })[]> {
    const hooks = await this.store.list(projectId);
    return Promise.all(
      hooks.map(async (hook) => ({
        ...hook,
        deliveries: await this.store.deliveries(hook.id, 10),
      })),
    );
  }

  /** @throws NotFoundError (404) when the project has no such webhook. */
  async remove(projectId: string, id: string): Promise<void> {
    if (!(await this.store.delete(projectId, id))) throw new NotFoundError('webhook', id);
  }

  /**
   * Sends a test message to one webhook now (and retries it like any other).
   * @throws NotFoundError (404) when the project has no such webhook.
   */
  async test(projectId: string, id: string): Promise<Delivery> {
    const hook = await this.store.find(projectId, id);
    if (!hook) throw new NotFoundError('webhook', id);
    const at = new Date(this.clock());
    const delivery = await this.store.enqueueOne(
      hook.id,
      {
        text: 'Vibariant: this webhook works.',
        vibariant: { id: null, kind: 'test', projectId, createdAt: at.toISOString() },
      },
      newId(),
      at,
    );
    this.kick();
    return delivery;
  }

  /**
   * A webhook's latest 100 deliveries, newest first.
   * @throws NotFoundError (404) when the project has no such webhook.
   */
  async deliveries(projectId: string, id: string): Promise<Delivery[]> {
    if (!(await this.store.find(projectId, id))) throw new NotFoundError('webhook', id);
    return this.store.deliveries(id, 100);
  }

  /** Resolves when no poll is running (tests, shutdown). */
  async whenIdle(): Promise<void> {
    await this.polling;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), this.pollIntervalMs);
    this.timer.unref();
  }

  /** Delivers what is due now (one poll at a time), then waits for the next poll. */
  private kick(): void {
    if (this.stopped || this.polling) return;
    this.polling = this.poll()
      .catch((error: unknown) => this.logger.error({ err: error }, 'webhook poll failed'))
      .finally(() => {
        this.polling = undefined;
        this.schedule();
      });
  }

  private async poll(): Promise<void> {
    for (;;) {
      const now = this.clock();
      const due = await this.store.claimDue(
        new Date(now),
        new Date(now + this.timeoutMs * 3),
        BATCH,
      );
      if (due.length === 0) return;
      await Promise.all(due.map((delivery) => this.attempt(delivery)));
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const target = await this.store.target(delivery.webhookId);
    if (!target) return; // removed meanwhile (its deliveries went too)
    const body = JSON.stringify(delivery.body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Vibariant-Webhooks',
          'x-vibariant-delivery': delivery.id,
          'x-vibariant-event': String((delivery.body.vibariant as { kind?: unknown })?.kind),
          'x-vibariant-signature': signature(target.secret, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      await response.body?.cancel();
      if (!response.ok) error = `answered ${response.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const attempts = delivery.attempts + 1;
    const delay = this.retryDelaysMs[attempts - 1];
    const state = error === null ? 'delivered' : delay === undefined ? 'failed' : 'pending';
    const at = this.clock();
    await this.store.recordAttempt(delivery.id, {
      state,
      attempts,
      lastStatus: status,
      lastError: error?.slice(0, MAX_ERROR) ?? null,
      nextAttemptAt: state === 'pending' ? new Date(at + (delay ?? 0)) : null,
      at: new Date(at),
    });
    this.logger.info(
      { webhookId: delivery.webhookId, deliveryId: delivery.id, attempt: attempts, status, state },
      'webhook delivery',
    );
  }
}
