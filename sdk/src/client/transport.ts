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

/** The event queue of one client. */
export interface Transport {
  /** Queues an event (the oldest is dropped beyond `maxQueued`) and schedules a send. */
  add(event: SdkEvent): void;
  /** Sends what is queued now; resolves when every chunk was answered or one failed. */
  flush(): Promise<void>;
  /**
   * The page is hiding: hands everything queued to `sendBeacon` (text/plain, chunks under 64
   * KB); the browser delivers what it accepted, so those events leave the queue. A chunk the
   * beacon refuses goes by `fetch` keepalive and stays stored until the server acknowledges
   * it: if the page is gone first, the next page view sends it again (the server keeps each
   * event ID once).
   */
  flushOnHide(): void;
  /** Drops every queued event (opt-out). */
  clear(): void;
}

/**
 * The event queue: sent by size or after a delay with `fetch` (keepalive, text/plain), retried
 * with exponential backoff and jitter on network errors and on every refusal but 400 and 413
 * (honouring Retry-After), kept in storage until the server acknowledges it (so a reload sends
 * it again: the server stores each event ID once), and handed to `sendBeacon` when the page
 * hides. Unsent events of an earlier page view go out with this one's.
 */
export function createTransport(options: TransportOptions): Transport {
  const { url, storage } = options;
  const batchSize = options.batchSize ?? 20;
  const flushMs = options.flushMs ?? 2_000;
  const maxQueued = options.maxQueued ?? 500;
  let queue = readJson<SdkEvent[]>(storage, QUEUE_KEY, []);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sending: Promise<void> | undefined;
  let failures = 0;

  const persist = () => storage.set(QUEUE_KEY, JSON.stringify(queue));
  /** Removes the events of a sent request body from the queue. */
  const forget = (body: string) => {
    const sent = new Set((JSON.parse(body) as { events: SdkEvent[] }).events.map((e) => e.id));
    queue = queue.filter((e) => !sent.has(e.id));
    persist();
  };
  const schedule = (delayMs: number) => {
    if (timer !== undefined && delayMs > 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => void flush(), delayMs);
  };
  const next = () => {
    if (queue.length > 0) schedule(queue.length >= batchSize ? 0 : flushMs);
  };
  const post = (body: string): Promise<Response> =>
    (options.fetch ?? globalThis.fetch.bind(globalThis))(url, {
      method: 'POST',
      body,
      keepalive: true,
      headers: { 'content-type': 'text/plain' },
    });
  const send = async () => {
    let retryAfterMs: number | undefined;
    for (const body of chunks(queue, FETCH_CHUNK_BYTES, Date.now())) {
      let response: Response | undefined;
      try {
        response = await post(body);
      } catch {
        response = undefined; // offline, or the network failed
      }
      // 400 and 413 would be refused again: those events are dropped, not retried.
      if (response && !response.ok && response.status !== 400 && response.status !== 413) {
        const header = Number(response.headers.get('retry-after'));
        retryAfterMs = Number.isFinite(header) && header > 0 ? header * 1000 : undefined;
        response = undefined;
      }
      if (!response) {
        failures++;
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1));
        schedule(Math.max(retryAfterMs ?? 0, backoff * (0.5 + Math.random() / 2)));
        return;
      }
      forget(body);
    }
    failures = 0;
    next();
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    sending ??= send().finally(() => {
      sending = undefined;
    });
    return sending;
  };
  next();

  return {
    add(event) {
      queue.push(event);
      if (queue.length > maxQueued) queue.splice(0, queue.length - maxQueued);
      persist();
      next();
    },
    flush,
    flushOnHide() {
      const beacon = globalThis.navigator?.sendBeacon?.bind(globalThis.navigator);
      for (const body of chunks(queue, BEACON_CHUNK_BYTES, Date.now())) {
        let queued = false;
        try {
          queued = beacon?.(url, new Blob([body], { type: 'text/plain' })) ?? false;
        } catch {
          // refused: fetch below
        }
        if (queued) forget(body);
        else
          void post(body).then(
            (r) => r.ok && forget(body),
            () => undefined,
          );
      }
    },
    clear() {
      clearTimeout(timer);
      queue = [];
      storage.remove(QUEUE_KEY);
    },
  };
}
