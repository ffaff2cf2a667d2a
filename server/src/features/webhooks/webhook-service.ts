import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DomainEvents } from '../../domain-events.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../../errors/app-error.js';
import { parseInput } from '../../validation.js';
import type { Notification } from '../notifications/notification-store.js';
import { newId } from '../projects/credentials.js';
import type { Delivery, Webhook, WebhookStore } from './webhook-store.js';
import { pointsInside } from './webhook-target.js';

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
  /**
   * Whether webhooks may point at this machine or private networks (loopback, link-local,
   * 10/8, 172.16/12, 192.168/16, fc00::/7). Default false: a webhook is not a way into the
   * server's network.
   */
  readonly allowPrivateTargets?: boolean;
  /** Told how each attempt ended (the server's metrics); `pending`: it will be retried. */
  readonly onAttempt?: (state: 'delivered' | 'pending' | 'failed') => void;
}

const DEFAULT_RETRY_DELAYS_MS = [10_000, 60_000, 300_000, 1_800_000, 7_200_000];
/** Attempts in flight at once, on one server. */
const MAX_IN_FLIGHT = 50;
/** Attempts in flight at once for one webhook: a slow receiver holds at most these. */
const PER_WEBHOOK_IN_FLIGHT = 2;
/** Webhooks one project may have. */
export const MAX_WEBHOOKS_PER_PROJECT = 5;
/** Least time between two test messages to one webhook, in milliseconds. */
const TEST_INTERVAL_MS = 10_000;
/** Longest error message kept with a delivery. */
const MAX_ERROR = 500;

const webhookInput = z
  .object({
    url: z
      .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
      .max(2_000)
      .refine((url) => {
        try {
          const parsed = new URL(url);
          return parsed.username === '' && parsed.password === '';
        } catch {
          return true; // not a URL: reported by the check above
        }
      }, 'must not hold a user name or password'),
  })
  .strict();

/** The request schemas this service validates with, also the API reference's (http/openapi.ts). */
export const webhookInputs = { add: webhookInput };

/** Text for Slack's mrkdwn: `&`, `<` and `>` escaped, so names cannot ping or link. */
const slackText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

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
    text: slackText(`Vibariant: "${experiment}" ${titles[n.kind] ?? n.kind}.${recommendation}`),
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
  private readonly allowPrivateTargets: boolean;
  private readonly onAttempt: NonNullable<WebhookOptions['onAttempt']>;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = true;
  /** Attempts in flight, and how many per webhook. */
  private readonly attempts = new Set<Promise<void>>();
  private readonly perWebhook = new Map<string, number>();
  /** When each webhook was last sent a test message. */
  private readonly lastTest = new Map<string, number>();

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
    this.allowPrivateTargets = options.allowPrivateTargets ?? false;
    this.onAttempt = options.onAttempt ?? (() => {});
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
      await this.whenIdle();
    };
  }

  /**
   * Adds a webhook for `body.url` (http or https, no credentials, not a private address unless
   * allowed). The answer holds its signing secret, shown this once.
   * @throws ValidationError (400, field `url`); ConflictError (409, field `url`) beyond 5
   *   webhooks per project.
   */
  async add(projectId: string, body: unknown): Promise<{ webhook: Webhook; secret: string }> {
    const { url } = parseInput(webhookInput, body ?? {});
    if (!this.allowPrivateTargets && (await pointsInside(url))) {
      throw new ValidationError('url', 'url: must not point at this machine or a private network');
    }
    if ((await this.store.count(projectId)) >= MAX_WEBHOOKS_PER_PROJECT) {
      throw new ConflictError(`A project has at most ${MAX_WEBHOOKS_PER_PROJECT} webhooks`, {
        field: 'url',
      });
    }
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
   * Sends a test message to one webhook now (and retries it like any other), at most one per
   * 10 seconds per webhook.
   * @throws NotFoundError (404) when the project has no such webhook; AppError 429 (field
   *   `webhook`) within 10 s of the previous test.
   */
  async test(projectId: string, id: string): Promise<Delivery> {
    const hook = await this.store.find(projectId, id);
    if (!hook) throw new NotFoundError('webhook', id);
    const now = this.clock();
    const last = this.lastTest.get(hook.id);
    if (last !== undefined && now - last < TEST_INTERVAL_MS) {
      throw new AppError(429, 'rate_limited', 'One test message per 10 seconds', {
        field: 'webhook',
        retryAfterSeconds: Math.ceil((last + TEST_INTERVAL_MS - now) / 1000),
      });
    }
    this.lastTest.set(hook.id, now);
    const at = new Date(now);
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

  /** Resolves when no poll and no attempt is running (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.polling || this.attempts.size > 0) {
      await this.polling;
      await Promise.all(this.attempts);
    }
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

  /**
   * Claims what is due, as many as there are free slots, and starts the attempts without
   * waiting for them: a slow receiver holds its own slots (at most 2 per webhook), never the
   * queue. Each attempt that ends frees its slot and looks for more.
   */
  private async poll(): Promise<void> {
    for (;;) {
      const free = MAX_IN_FLIGHT - this.attempts.size;
      if (free <= 0 || this.stopped) return;
      const busy = [...this.perWebhook]
        .filter(([, n]) => n >= PER_WEBHOOK_IN_FLIGHT)
        .map(([id]) => id);
      const now = this.clock();
      const due = await this.store.claimDue(
        new Date(now),
        new Date(now + this.timeoutMs * 3),
        free,
        busy,
      );
      if (due.length === 0) return;
      for (const delivery of due) {
        const id = delivery.webhookId;
        this.perWebhook.set(id, (this.perWebhook.get(id) ?? 0) + 1);
        const attempt: Promise<void> = this.attempt(delivery)
          .catch((error: unknown) => this.logger.error({ err: error }, 'webhook attempt failed'))
          .finally(() => {
            this.attempts.delete(attempt);
            const left = (this.perWebhook.get(id) ?? 1) - 1;
            if (left > 0) this.perWebhook.set(id, left);
            else this.perWebhook.delete(id);
            this.kick();
          });
        this.attempts.add(attempt);
      }
    }
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const target = await this.store.target(delivery.webhookId);
    if (!target) return; // removed meanwhile (its deliveries went too)
    const body = JSON.stringify(delivery.body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      if (!this.allowPrivateTargets && (await pointsInside(target.url))) {
        throw new Error('refused: the address is on this machine or a private network');
      }
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
      // fetch reports "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a bad port…) is
      // its cause.
      const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
      const reason = cause?.code ?? cause?.message;
      const message = e instanceof Error ? e.message : String(e);
      error = typeof reason === 'string' ? `${message}: ${reason}` : message;
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
    this.onAttempt(state);
    this.logger.info(
      { webhookId: delivery.webhookId, deliveryId: delivery.id, attempt: attempts, status, state },
      'webhook delivery',
    );
  }
}
