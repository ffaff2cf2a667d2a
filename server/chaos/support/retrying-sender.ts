import { Agent } from 'node:http';
import { post } from '../../bench/http-post.js';
import { BROWSER_USER_AGENT } from '../../test/support/test-server.js';

/** An event as the chaos tests send it: only its ID matters to the sender. */
export interface SentEvent {
  readonly id: string;
}

export interface SenderOptions {
  /** The server's origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The project token (`vv_proj_…`). */
  readonly token: string;
  /** Most batches in flight at once. */
  readonly concurrency: number;
  /** Longest wait between two attempts of a batch, in milliseconds (default 1 s). */
  readonly maxBackoffMs?: number;
  /** An attempt without an answer after this long is abandoned and retried (default 30 s). */
  readonly requestTimeoutMs?: number;
}

/** One attempt at sending a batch, as the client saw it. */
export interface Attempt {
  /** Its `X-Request-Id`, which the server uses as the request's ID in its log. */
  readonly requestId: string;
  /** When the request's last byte was handed to the socket (performance.now()), if it was. */
  readonly writtenAt: number | undefined;
  /** When the answer or the error came. */
  readonly settledAt: number;
  /** The HTTP status, or undefined for a connection error. */
  readonly status: number | undefined;
  /** The connection error's code or message, when there was no answer. */
  readonly error: string | undefined;
}

/** What came back, in total, for the batches sent so far. */
export interface SenderReport {
  /** Events handed to the sender. */
  readonly sent: number;
  /** IDs of the events of every batch that got a 200. */
  readonly acknowledged: Set<string>;
  /** Requests made, retries included. */
  readonly attempts: number;
  /** Answers by HTTP status. */
  readonly statuses: Record<string, number>;
  /** Attempts without an answer, by error code (connection refused, reset, timeout). */
  readonly connectionErrors: Record<string, number>;
  /** Answers the sender does not retry (4xx other than 408 and 429), with their bodies. */
  readonly refused: { status: number; body: string }[];
  /** 200 answers that did not account for every event (`accepted + duplicates`), or rejected some. */
  readonly incomplete: string[];
  /** Events the server reported as newly stored (`accepted`), summed over the 200s. */
  readonly accepted: number;
}

interface IngestAnswer {
  accepted: number;
  duplicates: number;
  rejected: unknown[];
}

/**
 * An SDK-like client for load under failures: each batch is sent (`POST /v1/events`, a
 * browser's user agent) and sent again, with the same event IDs, until a 200 acknowledges it,
 * with exponential backoff and jitter after connection errors, 408, 429 and 5xx (honouring
 * `Retry-After` up to the longest backoff). Other 4xx are the client's fault: recorded, never
 * retried. Several batches travel at once, over keep-alive connections.
 */
export class RetryingSender {
  private readonly agent: Agent;
  private readonly maxBackoffMs: number;
  private readonly requestTimeoutMs: number;
  private readonly slots: (() => void)[] = [];
  private inFlight = 0;
  private aborted = false;
  private sentEvents = 0;
  private acceptedEvents = 0;
  private attemptCount = 0;
  private readonly idPrefix = `chaos-${Math.random().toString(36).slice(2, 8)}`;
  private readonly acknowledged = new Set<string>();
  private readonly statuses: Record<string, number> = {};
  private readonly connectionErrors: Record<string, number> = {};
  private readonly refused: { status: number; body: string }[] = [];
  private readonly incomplete: string[] = [];
  /** Every attempt, in the order they settled (see `attempts`). */
  readonly attempts: Attempt[] = [];

  constructor(private readonly options: SenderOptions) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    this.maxBackoffMs = options.maxBackoffMs ?? 1_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /**
   * Sends one batch, waiting for a free slot first (at most `concurrency` batches in flight),
   * and retries it until it is acknowledged.
   * @returns true when a 200 acknowledged it; false when it was refused (a 4xx the sender does
   *   not retry) or the sender was aborted first.
   */
  async send(events: readonly SentEvent[]): Promise<boolean> {
    this.sentEvents += events.length;
    await this.acquire();
    try {
      return await this.deliver(events);
    } finally {
      this.release();
    }
  }

  /** Sends every batch, `concurrency` at a time; resolves when each is settled. */
  async sendAll(batches: readonly (readonly SentEvent[])[]): Promise<void> {
    await Promise.all(batches.map((batch) => this.send(batch)));
  }

  /** Stops retrying: batches not yet acknowledged are given up at their next attempt. */
  abort(): void {
    this.aborted = true;
    for (const wake of this.slots.splice(0)) wake();
  }

  /** Batches currently being sent or waiting for their retry. */
  get pending(): number {
    return this.inFlight;
  }

  /** The totals so far. */
  report(): SenderReport {
    return {
      sent: this.sentEvents,
      acknowledged: this.acknowledged,
      attempts: this.attemptCount,
      statuses: this.statuses,
      connectionErrors: this.connectionErrors,
      refused: this.refused,
      incomplete: this.incomplete,
      accepted: this.acceptedEvents,
    };
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private async acquire(): Promise<void> {
    if (this.inFlight < this.options.concurrency || this.aborted) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.slots.push(resolve));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.slots.shift()?.();
  }

  private async deliver(events: readonly SentEvent[]): Promise<boolean> {
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${this.options.token}`,
      'user-agent': BROWSER_USER_AGENT,
    };
    for (let failures = 1; !this.aborted; failures++) {
      this.attemptCount++;
      const requestId = `${this.idPrefix}-${this.attemptCount}`;
      const target = {
        origin: this.options.origin,
        path: '/v1/events',
        headers: { ...headers, 'x-request-id': requestId },
      };
      let retryAfterMs = 0;
      let writtenAt: number | undefined;
      try {
        // Stamped at each attempt, as the SDK does: the server corrects client clocks with it.
        const body = Buffer.from(JSON.stringify({ sentAt: Date.now(), events }));
        const response = await post(this.agent, target, body, this.requestTimeoutMs, () => {
          writtenAt = performance.now();
        });
        this.attempts.push({
          requestId,
          writtenAt,
          settledAt: performance.now(),
          status: response.status,
          error: undefined,
        });
        this.statuses[response.status] = (this.statuses[response.status] ?? 0) + 1;
        if (response.status === 200) {
          const answer = JSON.parse(response.text) as IngestAnswer;
          if (answer.accepted + answer.duplicates !== events.length || answer.rejected.length > 0) {
            this.incomplete.push(response.text.slice(0, 500));
          }
          this.acceptedEvents += answer.accepted;
          for (const event of events) this.acknowledged.add(event.id);
          return true;
        }
        const retryable =
          response.status === 408 || response.status === 429 || response.status >= 500;
        if (!retryable) {
          this.refused.push({ status: response.status, body: response.text.slice(0, 500) });
          return false;
        }
        retryAfterMs = Number(response.headers['retry-after']) * 1000 || 0;
      } catch (error) {
        const code =
          (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
        this.connectionErrors[code] = (this.connectionErrors[code] ?? 0) + 1;
        this.attempts.push({
          requestId,
          writtenAt,
          settledAt: performance.now(),
          status: undefined,
          error: code,
        });
      }
      const backoff = Math.min(this.maxBackoffMs, 50 * 2 ** (failures - 1));
      const jittered = backoff * (0.5 + Math.random() / 2);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(jittered, Math.min(retryAfterMs, this.maxBackoffMs))),
      );
    }
    return false;
  }
}
