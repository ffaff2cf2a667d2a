import { type KeyValue, readJson } from './storage.js';

/** An event as `POST /v1/events` takes it (see the server's README). */
export interface SdkEvent {
  readonly type: string;
  readonly id: string;
  readonly visitorId: string;
  readonly timestamp: number;
  readonly [field: string]: unknown;
}

export interface TransportOptions {
  /** `<apiHost>/v1/events?token=…`: the token in the URL keeps requests free of preflight. */
  readonly url: string;
  readonly storage: KeyValue;
  /** Events that start a send at once (default 20). */
  readonly batchSize?: number;
  /** Longest wait before queued events are sent, in milliseconds (default 2,000). */
  readonly flushMs?: number;
  /** Most events kept unsent; the oldest go first beyond it (default 500). */
  readonly maxQueued?: number;
  readonly fetch?: typeof fetch;
}

const QUEUE_KEY = 'vv:queue';
/** Request bodies stay under these sizes: fetch keepalive and sendBeacon limit them (64 KB). */
const FETCH_CHUNK_BYTES = 60_000;
const BEACON_CHUNK_BYTES = 64_000;
const MAX_BACKOFF_MS = 60_000;

/** Splits events into bodies `{ sentAt, events }` each under `limit` bytes (UTF-8). */
export function chunks(events: readonly SdkEvent[], limit: number, sentAt: number): string[] {
  const bodies: string[] = [];
  let current: string[] = [];
  let size = 0;
  const close = () => {
    if (current.length > 0) bodies.push(`{"sentAt":${sentAt},"events":[${current.join(',')}]}`);
    current = [];
    size = 0;
  };
  for (const event of events) {
    const json = JSON.stringify(event);
    const bytes = new TextEncoder().encode(json).length + 1;
    if (size + bytes > limit - 40) close();
    current.push(json);
    size += bytes;
  }
  close();
  return bodies;
}

/**
 * The event queue: sent by size or after a delay with `fetch` (keepalive, text/plain), retried
 * with exponential backoff and jitter on network errors and on every refusal but 400 and 413
 * (honouring Retry-After),
 * kept in storage until the server acknowledges it (so a reload sends it again: the server
 * stores each event ID once), and handed to `sendBeacon` when the page hides.
 */
export class Transport {
  private queue: SdkEvent[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private sending: Promise<void> | undefined;
  private failures = 0;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly maxQueued: number;

  constructor(private readonly options: TransportOptions) {
    this.batchSize = options.batchSize ?? 20;
    this.flushMs = options.flushMs ?? 2_000;
    this.maxQueued = options.maxQueued ?? 500;
    // Unsent events of an earlier page view go out with this one's.
    this.queue = readJson<SdkEvent[]>(options.storage, QUEUE_KEY, []);
    if (this.queue.length > 0) this.schedule(0);
  }

  add(event: SdkEvent): void {
    this.queue.push(event);
    if (this.queue.length > this.maxQueued)
      this.queue.splice(0, this.queue.length - this.maxQueued);
    this.persist();
    this.schedule(this.queue.length >= this.batchSize ? 0 : this.flushMs);
  }

  /** Sends what is queued now; resolves when the server answered (or the send failed). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sending ??= this.send().finally(() => {
      this.sending = undefined;
    });
    return this.sending;
  }

  /**
   * The page is hiding: hands everything queued to `sendBeacon` (text/plain, chunks under 64
   * KB), falling back to `fetch` keepalive when the beacon is refused. The events stay stored
   * until an acknowledged send: the next page view sends them again if needed.
   */
  flushOnHide(): void {
    if (this.queue.length === 0) return;
    const beacon = globalThis.navigator?.sendBeacon?.bind(globalThis.navigator);
    for (const body of chunks(this.queue, BEACON_CHUNK_BYTES, Date.now())) {
      let queued = false;
      try {
        queued = beacon
          ? beacon(this.options.url, new Blob([body], { type: 'text/plain' }))
          : false;
      } catch {
        queued = false;
      }
      if (!queued) void this.post(body).catch(() => undefined);
    }
  }

  /** Drops every queued event (opt-out). */
  clear(): void {
    clearTimeout(this.timer);
    this.queue = [];
    this.options.storage.remove(QUEUE_KEY);
  }

  private persist(): void {
    this.options.storage.set(QUEUE_KEY, JSON.stringify(this.queue));
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  private post(body: string): Promise<Response> {
    const send = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    return send(this.options.url, {
      method: 'POST',
      body,
      keepalive: true,
      headers: { 'content-type': 'text/plain' },
    });
  }

  private async send(): Promise<void> {
    const batch = this.queue.slice();
    if (batch.length === 0) return;
    let retryAfterMs: number | undefined;
    for (const body of chunks(batch, FETCH_CHUNK_BYTES, Date.now())) {
      let response: Response | undefined;
      try {
        response = await this.post(body);
      } catch {
        response = undefined; // offline, or the network failed
      }
      // Kept and retried unless the server refused the body itself (400, 413): a wrong token
      // or host (401, 403, 404) may be mended by a redeploy, and the queue is bounded.
      if (response && !response.ok && response.status !== 400 && response.status !== 413) {
        const header = Number(response.headers.get('retry-after'));
        retryAfterMs = Number.isFinite(header) && header > 0 ? header * 1000 : undefined;
        response = undefined;
      }
      if (!response) {
        // Kept for a retry, later and later (with jitter), or for the next page view.
        this.failures++;
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1));
        this.schedule(Math.max(retryAfterMs ?? 0, backoff * (0.5 + Math.random() / 2)));
        return;
      }
      // Acknowledged (valid events stored, invalid ones listed), or a body refused for good.
      const sent = new Set((JSON.parse(body) as { events: SdkEvent[] }).events.map((e) => e.id));
      this.queue = this.queue.filter((e) => !sent.has(e.id));
      this.persist();
    }
    this.failures = 0;
    if (this.queue.length > 0)
      this.schedule(this.queue.length >= this.batchSize ? 0 : this.flushMs);
  }
}
