/**
 * One simulated visitor, through the SDK's own code: `createVibariant` with storage in memory
 * (a fresh browser), the configuration fetched first (so the bandit's allocation applies),
 * `getVariant` for each experiment on the pages they see (the exposure), `track` for each goal
 * they reach, the page views and engagement that auto-tracking would capture, and the SDK's
 * queue flushed when they leave.
 */
import { createVibariant, memoryStorage } from '@vibariant/sdk';
import { exponential, type Random } from './random.js';
import { type DemoExperiment, PRICING_PAGE_SHARE } from './scenario.js';

/** What one visit did: the variant of each experiment seen, and whether its goal was reached. */
export interface Visit {
  /** Experiment key -> variant key, for the experiments the visitor was exposed to. */
  readonly variants: Readonly<Record<string, string>>;
  /** Experiment key -> whether the visitor converted on its goal. */
  readonly converted: Readonly<Record<string, boolean>>;
}

/** Where and how a visitor reaches the server. */
export interface VisitorContext {
  /** The project's public token, `vv_proj_…`. */
  readonly token: string;
  /** The server's origin, such as `http://127.0.0.1:4000`. */
  readonly apiHost: string;
  /** `fetch` for the SDK: a browser's (see `browserFetch`). */
  readonly fetch: typeof fetch;
  readonly experiments: readonly DemoExperiment[];
}

/**
 * Runs one visit from arrival to leaving, and resolves once the SDK has flushed its queue
 * (acknowledged or failed: the SDK keeps failed events for its retry, never throws here).
 * Each visitor draws a fixed number of values from `random`, in a fixed order, whatever their
 * variants: the same generator gives the same visit.
 * @param visitorId 1 to 200 characters, unique per visitor (the SDK's `visitorId`): it fixes
 *   the variants through the assignment hash, under the allocation in force.
 * @param random this visitor's own generator (see `visitorRandom`).
 * @throws TypeError from the SDK on an invalid token, host, visitor ID, key or goal.
 */
export async function simulateVisitor(
  context: VisitorContext,
  visitorId: string,
  random: Random,
): Promise<Visit> {
  const vb = createVibariant({
    token: context.token,
    apiHost: context.apiHost,
    visitorId,
    storage: memoryStorage(),
    fetch: context.fetch,
  });
  // A page that waits for the configuration assigns under the allocation in force; without it
  // the SDK would use equal weights (allocation version 0), as on a first visit.
  await vb.ready;

  // Every draw up front, in a fixed order: the same generator gives the same visit whatever
  // the variants and pages turn out to be.
  const goesToPricing = random() < PRICING_PAGE_SHARE;
  const conversionDraws = context.experiments.map(() => random());
  const scrollDraw = random();
  const formDraw = random();
  const activeDraw = exponential(random, 20_000);
  const clickDraw = exponential(random, 1.5);

  const variants: Record<string, string> = {};
  const converted: Record<string, boolean> = {};
  let conversions = 0;
  let submitted = false;
  for (const page of goesToPricing ? (['/', '/pricing'] as const) : (['/'] as const)) {
    vb.capture('page_view', page === '/' ? { path: '/' } : { path: '/pricing', referrer: '/' });
    context.experiments.forEach((experiment, i) => {
      if (experiment.page !== page) return;
      const keys = experiment.variants.map((v) => v.key);
      const variant = vb.getVariant(experiment.key, keys);
      const yes = (conversionDraws[i] ?? 1) < (experiment.trueRates[keys.indexOf(variant)] ?? 0);
      variants[experiment.key] = variant;
      converted[experiment.key] = yes;
      if (yes) {
        conversions++;
        submitted ||= experiment.form === true;
        vb.track(experiment.goal);
      }
    });
  }

  // What auto-tracking sends when the page hides: converters scroll further, stay longer and
  // click more (the dashboard's engagement proxy sees it).
  const engaged = conversions > 0;
  const scrollDepth = engaged ? 0.6 + 0.4 * scrollDraw : 0.1 + 0.9 * scrollDraw;
  // A form conversion (the sign-up offer's) starts and submits a form; a few others start one.
  vb.capture('engagement', {
    scrollDepth: Math.round(scrollDepth * 1000) / 1000,
    activeMs: Math.round(activeDraw + (engaged ? 25_000 : 0)),
    clicks: Math.floor(clickDraw) + conversions,
    formStarts: submitted || formDraw < 0.05 ? 1 : 0,
    formSubmits: submitted ? 1 : 0,
  });
  await vb.flush();
  return { variants, converted };
}

/** A desktop Chrome's user agent: the server counts no event whose user agent is a bot's. */
export const DESKTOP_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/**
 * Node's `fetch` dressed as a browser's: it sends `userAgent` (Node's own, `node`, is a bot's
 * to the server, which would store but not count the events) and tells `onResponse` each
 * answer's status (0 when the request failed).
 */
export function browserFetch(
  userAgent: string = DESKTOP_USER_AGENT,
  onResponse: (status: number) => void = () => {},
): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('user-agent', userAgent);
    try {
      const response = await fetch(input, { ...init, headers });
      onResponse(response.status);
      return response;
    } catch (err) {
      onResponse(0);
      throw err;
    }
  };
}
