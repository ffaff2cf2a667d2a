import { pickVariant } from '../core/choose-variant.js';
import { hashUnit } from '../core/hash.js';
import { type KeyValue, readJson, safeStorage } from './storage.js';
import { createTransport, type SdkEvent } from './transport.js';

export interface VibariantOptions {
  /** The project's public token, `vv_proj_…`. */
  readonly token: string;
  /** Where the Vibariant server is, such as `https://ab.example.com`. */
  readonly apiHost: string;
  /** Your own ID for the visitor (a user ID); else a random one kept in storage. */
  readonly visitorId?: string;
  /** Whether tracking is allowed; false until consent is given (see `optIn`). Default true. */
  readonly consent?: boolean;
  /** Also run when `navigator.webdriver` is set (automated browsers). Default false. */
  readonly allowBots?: boolean;
  /** Storage for the visitor ID, assignments, config and unsent events (default: localStorage, else memory). */
  readonly storage?: KeyValue;
  /** Queue settings: events that send at once (default 20), longest wait in ms (default 2,000). */
  readonly batchSize?: number;
  readonly flushMs?: number;
  readonly fetch?: typeof fetch;
}

/** An experiment as `GET /v1/config` describes it. */
interface ConfigExperiment {
  readonly key: string;
  readonly variants: readonly string[];
  readonly weights: readonly number[];
  readonly allocationVersion: number;
}

interface CachedConfig {
  readonly etag: string | null;
  readonly experiments: readonly ConfigExperiment[];
  readonly goals?: readonly string[];
}

export interface Vibariant {
  /** The visitor's ID (after `identify`, the user ID). */
  readonly visitorId: string;
  /**
   * Keys of the project's confirmed goals, from the cached configuration (updated when `ready`
   * resolves): what `detectGoals` turns into conversions.
   */
  readonly goals: readonly string[];
  /**
   * The visitor's variant of an experiment, at once: the one they were given before, else the
   * hash under the cached allocation, else equal weights over `variants` (ASSIGNMENT.md). The
   * first call of a page view sends the exposure.
   * @throws TypeError when the key or a variant is not 1 to 64 letters, digits, "-", "_" or
   *   ".", or `variants` is not 2 to 50 different entries (the server would refuse them).
   */
  getVariant(experimentKey: string, variants: readonly string[]): string;
  /**
   * The variant `getVariant` would give, without sending the exposure (for rendering before
   * the variant is shown; on a server).
   * @throws TypeError as `getVariant`.
   */
  peekVariant(experimentKey: string, variants: readonly string[]): string;
  /**
   * Records a conversion of `goal` (in every experiment the visitor is in, or only in
   * `experiment`).
   * @throws TypeError when `goal` is not 1 to 128 characters, or `experiment` not a key.
   */
  track(goal: string, properties?: { readonly experiment?: string }): void;
  /**
   * From now on, events carry `userId` as the visitor; assignments already made stay, and the
   * next `getVariant` of each experiment sends the exposure again under `userId`.
   * @throws TypeError when `userId` is not 1 to 200 characters.
   */
  identify(userId: string): void;
  /**
   * Sends what is queued, after a send in progress; resolves when the server answered or the
   * attempt failed (the events then stay queued for the retry). Never rejects.
   */
  flush(): Promise<void>;
  /** Stops tracking and drops what is queued; remembered across page views. */
  optOut(): void;
  /** Allows tracking (consent given). */
  optIn(): void;
  /** Resolves once the configuration was refreshed from the server (or could not be). */
  readonly ready: Promise<void>;
  /**
   * Queues an event of `type` with `fields` (the visitor, an ID and the time are added), as
   * `POST /v1/events` takes it: what auto-tracking uses. Nothing when tracking is off.
   * @throws TypeError when the event is not JSON (a cycle, a BigInt) or over 20,000 characters.
   */
  capture(type: string, fields: Record<string, unknown>): void;
}

/** The anonymous visitor ID, shared by the site's projects; a user ID is kept per project. */
const VISITOR_KEY = 'vv:visitor';

const randomId = (): string =>
  globalThis.crypto?.randomUUID?.() ??
  `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

/** A programming mistake the server would refuse quietly, reported at once instead. */
const misuse = (message: string): never => {
  throw new TypeError(`Vibariant: ${message}`);
};

/**
 * Text the server stores: no unpaired surrogate, and none of `refused` (default: control
 * characters, as in goals; visitor IDs refuse only NUL).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const storable = (text: string, refused = /[\0-\x1f\x7f]/) =>
  !refused.test(text) &&
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
const validVisitorId = (id: unknown): id is string =>
  typeof id === 'string' && id.length > 0 && id.length < 201 && storable(id, /\0/);
const checkVisitorId = (id: string): string => (validVisitorId(id) ? id : misuse('bad visitorId'));
// The core's EXPERIMENT_KEY_PATTERN, written out: its checks weigh too much here.
const checkKey = (key: unknown) =>
  (typeof key === 'string' && /^[\w.-]{1,64}$/.test(key)) ||
  misuse(`bad key ${typeof key === 'string' ? key.slice(0, 64) : typeof key}`);

/** A stored assignment: the variant, and the allocation version it was drawn under (0: equal weights). */
type Assignment = [variant: string, allocationVersion: number];

/**
 * Starts the SDK for one page: the visitor, the assignments, the cached configuration
 * (refreshed in the background with its ETag, in a browser), and the event queue (sent on page
 * hide too). What it stores is kept apart per project token. Safe to import on a server: it
 * touches browser globals only when called.
 * @throws TypeError when `token` or `apiHost` is missing, or `visitorId` is not 1 to 200
 *   characters.
 */
export function createVibariant(options: VibariantOptions): Vibariant {
  if (!options.apiHost || !options.token) misuse('token and apiHost needed');
  const storage = options.storage ?? safeStorage();
  const host = options.apiHost.replace(/\/+$/, '');
  const token = encodeURIComponent(options.token);
  const userKey = `vv:user:${token}`;
  const optOutKey = `vv:optout:${token}`;
  const anonymous = storage.get(VISITOR_KEY);
  const user = storage.get(userKey);
  let visitorId = options.visitorId
    ? checkVisitorId(options.visitorId)
    : validVisitorId(user)
      ? user
      : validVisitorId(anonymous)
        ? anonymous
        : randomId();
  if (!validVisitorId(anonymous)) storage.set(VISITOR_KEY, visitorId);
  const automated = globalThis.navigator?.webdriver === true && options.allowBots !== true;
  let consent = options.consent ?? true;
  const enabled = () => consent && !automated && storage.get(optOutKey) !== '1';

  const transport = createTransport({
    url: `${host}/v1/events?token=${token}`,
    storage,
    key: `vv:queue:${token}`,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.flushMs === undefined ? {} : { flushMs: options.flushMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  /** Queues an event; whether it was (tracking allowed). */
  const send = (type: string, fields: Record<string, unknown>): boolean => {
    if (!enabled()) return false;
    // The SDK's own fields last: `fields` cannot forge the visitor, the ID or the type.
    const event: SdkEvent = { ...fields, type, id: randomId(), visitorId, timestamp: Date.now() };
    let json = '';
    try {
      json = JSON.stringify(event);
    } catch {
      // circular, or a BigInt: the length check below refuses it
    }
    if (!json || json.length > 20_000) misuse(`bad ${type} event`);
    transport.add(event);
    return true;
  };
  const doc = globalThis.document;
  if (doc) {
    globalThis.addEventListener('online', () => transport.flush());
    globalThis.addEventListener('pagehide', () => transport.flushOnHide());
    doc.addEventListener('visibilitychange', () => {
      if (doc.visibilityState === 'hidden') transport.flushOnHide();
    });
  }

  const configKey = `vv:config:${token}`;
  /** A configuration with only well-formed experiments and goals (storage may hold anything). */
  const clean = (c: Partial<CachedConfig>): CachedConfig => ({
    etag: typeof c.etag === 'string' ? c.etag : null,
    experiments: (Array.isArray(c.experiments) ? c.experiments : []).filter(
      (e) =>
        typeof e?.key === 'string' &&
        Array.isArray(e.variants) &&
        Array.isArray(e.weights) &&
        e.weights.length === e.variants.length &&
        e.weights.every((w: unknown) => typeof w === 'number'),
    ),
    goals: (Array.isArray(c.goals) ? c.goals : []).filter((g) => typeof g === 'string'),
  });
  let config = clean(readJson<Partial<CachedConfig>>(storage, configKey, {}));
  const ready = (async () => {
    // A server rendering pages has no use for it: assignments there use equal weights.
    const request = options.fetch ?? (doc && globalThis.fetch?.bind(globalThis));
    if (!request) return;
    try {
      const response = await request(`${host}/v1/config?token=${token}`, {
        headers: config.etag ? { 'if-none-match': config.etag } : {},
      });
      if (response.status !== 200) return; // 304: the cache is current; else keep it
      const body = (await response.json()) as Partial<CachedConfig>;
      config = clean({ ...body, etag: response.headers.get('etag') });
      storage.set(configKey, JSON.stringify(config));
    } catch {
      // offline: the cached configuration stays
    }
  })();

  const assignmentsKey = () => `vv:assignments:${token}:${visitorId}`;
  const assignments = readJson<Record<string, Assignment>>(storage, assignmentsKey(), {});
  /** This page view's exposures, and which of them were sent under the current visitor ID. */
  const exposures = new Map<string, Record<string, unknown>>();
  const sent = new Set<string>();
  /** Sends the exposures not sent yet (tracking was off, or the visitor ID changed). */
  const expose = () => {
    for (const [key, fields] of exposures)
      if (!sent.has(key) && send('exposure', fields)) sent.add(key);
  };

  /**
   * The visitor's variant and the allocation version it was drawn under: stored, else hashed
   * under the cached allocation, else equal weights over `variants` (version 0).
   */
  const assign = (experimentKey: string, variants: readonly string[]): Assignment => {
    checkKey(experimentKey);
    if (!Array.isArray(variants)) misuse('bad variants');
    variants.forEach(checkKey);
    if (variants.length < 2 || variants.length > 50 || new Set(variants).size < variants.length) {
      misuse('bad variants');
    }
    let assignment = assignments[experimentKey];
    if (!Array.isArray(assignment) || !variants.includes(assignment[0])) {
      const known = config.experiments.find((e) => e.key === experimentKey);
      const sameArms =
        known !== undefined &&
        known.variants.length === variants.length &&
        known.variants.every((v, i) => v === variants[i]);
      const weights = sameArms ? known.weights : variants.map(() => 1 / variants.length);
      assignment = [
        variants[pickVariant(hashUnit(visitorId, experimentKey), weights)] as string,
        sameArms ? known.allocationVersion : 0,
      ];
      assignments[experimentKey] = assignment;
      storage.set(assignmentsKey(), JSON.stringify(assignments));
    }
    return assignment;
  };

  return {
    get visitorId() {
      return visitorId;
    },
    get goals() {
      return config.goals ?? [];
    },
    peekVariant: (experimentKey, variants) => assign(experimentKey, variants)[0],
    getVariant(experimentKey, variants) {
      const [variant, allocationVersion] = assign(experimentKey, variants);
      if (!exposures.has(experimentKey)) {
        exposures.set(experimentKey, {
          experiment: experimentKey,
          variant,
          variants: [...variants],
          allocationVersion,
        });
        expose();
      }
      return variant;
    },
    track(goal, properties) {
      if (!(typeof goal === 'string' && goal.length > 0 && goal.length < 129 && storable(goal))) {
        misuse('bad goal');
      }
      const experiment = properties?.experiment;
      if (experiment !== undefined) checkKey(experiment);
      send('conversion', { goal, ...(experiment ? { experiment } : {}) });
    },
    identify(userId) {
      visitorId = checkVisitorId(userId);
      storage.set(userKey, userId);
      // The user keeps this page's variants, and is exposed to them under their own ID.
      storage.set(assignmentsKey(), JSON.stringify(assignments));
      sent.clear();
      expose();
    },
    flush: () => transport.flush(),
    optOut() {
      storage.set(optOutKey, '1');
      transport.clear();
    },
    optIn() {
      consent = true;
      storage.remove(optOutKey);
      expose();
    },
    ready,
    capture: send,
  };
}
