import { createVibariant, memoryStorage, type VibariantOptions } from '../../src/index.js';

/** An event as the SDK sent it. */
export interface Captured {
  readonly type: string;
  readonly [field: string]: unknown;
}

/**
 * A `fetch` standing in for the server: it records what is sent and answers `reply(url)`
 * (default: 200 with an empty configuration, or accepted). `events()` lists every event posted.
 */
export function recorder(
  reply: (url: string, init?: RequestInit) => Response | Promise<Response> = () =>
    new Response('{"experiments":[]}', { status: 200 }),
) {
  const sent: { url: string; init: RequestInit | undefined }[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: String(url), init });
    return reply(String(url), init);
  }) as typeof globalThis.fetch;
  const bodies = () =>
    sent.filter((s) => s.url.includes('/v1/events')).map((s) => String(s.init?.body));
  const events = (): Captured[] =>
    bodies().flatMap((b) => (JSON.parse(b) as { events: Captured[] }).events);
  return { fetch, sent, bodies, events };
}

/** A client posting to a recorder (answering `reply`), in memory storage, sending after 5 ms. */
export function recordingClient(
  options: Partial<VibariantOptions> = {},
  reply?: Parameters<typeof recorder>[0],
) {
  const { fetch, bodies, events } = recorder(reply);
  const storage = options.storage ?? memoryStorage();
  const vb = createVibariant({
    token: 'vv_proj_t',
    apiHost: 'https://ab.example',
    fetch,
    flushMs: 5,
    ...options,
    storage,
  });
  return { vb, storage, bodies, events };
}
