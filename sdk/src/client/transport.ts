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
  /** Where unsent events are kept in `storage` (one key per project). */
  readonly key: string;
  /** Events that start a send at once (default 20). */
  readonly batchSize?: number;
  /** Longest wait before queued events are sent, in milliseconds (default 2,000). */
  readonly flushMs?: number;
  /** Most events kept unsent; the oldest go first beyond it (default 500). */
  readonly maxQueued?: number;
  readonly fetch?: typeof fetch;
}

/** Request bodies stay under these sizes: fetch keepalive and sendBeacon limit them (64 KB). */
const FETCH_CHUNK_BYTES = 60_000;
const BEACON_CHUNK_BYTES = 64_000;
const MAX_BACKOFF_MS = 60_000;

/**
 * Splits events into bodies `{ sentAt, events }` each under `limit` bytes (UTF-8). An event
 * is at most 20,000 characters (`createVibariant` refuses larger ones), so each fits.
 */
function chunks(events: readonly SdkEvent[], limit: number, sentAt: number): string[] {
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
  /**
   * Sends what is queued, after any send in progress; resolves when every chunk was answered,
   * or when one failed (its events stay queued for the retry).
   */
  flush(): Promise<void>;
  /**
   * The page is hiding: hands what is queued to `sendBeacon` (text/plain, chunks under 64 KB),
   * or to `fetch` keepalive when the beacon is refused, once per event and page view. Nothing
   * when the browser is offline. The events stay stored until a `fetch` is acknowledged, since
   * a beacon's answer is never known: the next send or page view may repeat them, and the
   * server keeps each event ID once.
   */
  flushOnHide(): void;
  /** Drops every queued event (opt-out). */
  clear(): void;
}

/**
 * The event queue: sent by size or after a delay with `fetch` (keepalive, text/plain), retried
 * with exponential backoff and jitter on network errors and on every refusal but 400 and 413
 * (honouring Retry-After, which new events do not cut short), kept in storage until the
 * server acknowledges it (so a reload sends it again: the server stores each event ID once),
 * and handed to `sendBeacon` when the page hides. Unsent events of an earlier page view go out
 * with this one's. Tabs sharing the storage merge their queues instead of overwriting them.
 */
export function createTransport(options: TransportOptions): Transport {
  const { url, storage, key } = options;
  const batchSize = options.batchSize ?? 20;
  const flushMs = options.flushMs ?? 2_000;
  const maxQueued = options.maxQueued ?? 500;
  const stored = () =>
    readJson<SdkEvent[]>(storage, key, []).filter((e) => typeof e?.id === 'string');
  let queue = stored();
  /** IDs acknowledged (or dropped) here: another tab's stored copy of them is stale. */
  const done = new Set<string>();
  /** IDs handed to a beacon in this page view. */
  const beaconed = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain = Promise.resolve();
  let failures = 0;
  let retryAt = 0;

  /** Events other tabs stored and nobody here sent or holds. */
  const others = () => {
    const mine = new Set(queue.map((e) => e.id));
    return stored().filter((e) => !mine.has(e.id) && !done.has(e.id));
  };
  /** Stores this tab's queue with the events other tabs stored meanwhile. */
  const persist = () => storage.set(key, JSON.stringify([...others(), ...queue].slice(-maxQueued)));
  /** Removes the events of a sent request body from the queue. */
  const forget = (body: string) => {
    for (const e of (JSON.parse(body) as { events: SdkEvent[] }).events) done.add(e.id);
    queue = queue.filter((e) => !done.has(e.id));
    persist();
  };
  /** Sends in `delayMs`, or later while a retry is due; a sooner send replaces a later one. */
  const schedule = (delayMs: number) => {
    const delay = Math.max(delayMs, retryAt - Date.now());
    if (timer !== undefined && delay > 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => void flush(), delay);
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
    // What another tab stored and did not send (it may have closed) goes too.
    queue = [...others(), ...queue];
    let retryAfterMs = 0;
    for (const body of chunks(queue, FETCH_CHUNK_BYTES, Date.now())) {
      let response: Response | undefined;
      try {
        response = await post(body);
      } catch {
        response = undefined; // offline, or the network failed
      }
      // 400 and 413 would be refused again: those events are dropped, not retried.
      if (response && !response.ok && response.status !== 400 && response.status !== 413) {
        retryAfterMs = Number(response.headers.get('retry-after')) * 1000 || 0;
        response = undefined;
      }
      if (!response) {
        failures++;
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1));
        retryAt = Date.now() + Math.max(retryAfterMs, backoff * (0.5 + Math.random() / 2));
        timer = undefined;
        schedule(0);
        return;
      }
      forget(body);
    }
    failures = 0;
    retryAt = 0;
    next();
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    chain = chain.then(send).catch(() => undefined);
    return chain;
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
      if (globalThis.navigator?.onLine === false) return;
      const beacon = globalThis.navigator?.sendBeacon?.bind(globalThis.navigator);
      const fresh = queue.filter((e) => !beaconed.has(e.id));
      for (const body of chunks(fresh, BEACON_CHUNK_BYTES, Date.now())) {
        let queued = false;
        try {
          queued = beacon?.(url, new Blob([body], { type: 'text/plain' })) ?? false;
        } catch {
          // refused: fetch below
        }
        if (!queued)
          void post(body).then(
            (r) => r.ok && forget(body),
            () => undefined,
          );
      }
      for (const e of fresh) beaconed.add(e.id);
    },
    clear() {
      clearTimeout(timer);
      queue = [];
      for (const e of stored()) done.add(e.id);
      storage.remove(key);
    },
  };
}
