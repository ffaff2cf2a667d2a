/**
 * Visitors arriving at a steady rate: a visit starts every 1/rate seconds (checked every
 * 20 ms), with a bound on visits in progress, so that a slow server slows the demo down
 * instead of piling up requests.
 */

export interface TrafficOptions {
  /** Visitors per second, > 0. */
  readonly rate: number;
  /** Stop starting visits after this many milliseconds (default: until `stop`). */
  readonly durationMs?: number | undefined;
  /** Stop after this many visits (default: no limit). */
  readonly maxVisitors?: number | undefined;
  /** Most visits in progress at once (default 200). */
  readonly maxInFlight?: number | undefined;
  /**
   * Runs visit number `index` (0, 1, 2, …); a rejection counts the visit as failed, it does
   * not stop the traffic.
   */
  readonly visit: (index: number) => Promise<void>;
}

/** Counts of the traffic so far. */
export interface TrafficCounts {
  /** Visits started. */
  readonly started: number;
  /** Visits finished (their events flushed), failed ones included. */
  readonly finished: number;
  /** Visits whose `visit` rejected. */
  readonly failed: number;
  /** Milliseconds since the traffic started. */
  readonly elapsedMs: number;
}

/** Traffic in progress. */
export interface Traffic {
  counts(): TrafficCounts;
  /** Resolves when no more visits will start and every started one has finished. */
  readonly done: Promise<void>;
  /** Starts no more visits; resolves when those in progress have finished. */
  stop(): Promise<void>;
}

/**
 * Starts the traffic at once.
 * @throws RangeError when `rate` is not a positive finite number, or `maxInFlight` not a
 *   positive integer.
 */
export function startTraffic(options: TrafficOptions): Traffic {
  const { rate } = options;
  if (!(rate > 0 && Number.isFinite(rate))) throw new RangeError('rate must be > 0');
  const maxInFlight = options.maxInFlight ?? 200;
  if (!(Number.isInteger(maxInFlight) && maxInFlight > 0)) {
    throw new RangeError('maxInFlight must be a positive integer');
  }
  const maxVisitors = options.maxVisitors ?? Number.POSITIVE_INFINITY;
  const startedAt = performance.now();
  /** When the rate is counted from: moved forward after a stall, so that no burst follows. */
  let baseline = startedAt;
  let baseCount = 0;
  let started = 0;
  let finished = 0;
  let failed = 0;
  let stopping = false;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const settle = () => {
    if (stopping && finished === started) resolveDone();
  };
  const finish = () => {
    clearInterval(timer);
    stopping = true;
    settle();
  };
  const tick = () => {
    const now = performance.now();
    if (options.durationMs !== undefined && now - startedAt >= options.durationMs) return finish();
    let due = baseCount + Math.floor(((now - baseline) / 1000) * rate);
    // More than a second behind (the server or this machine was slow): carry on from here.
    if (due - started > Math.max(1, rate)) {
      baseline = now;
      baseCount = started;
      due = started;
    }
    while (started < due && started - finished < maxInFlight && started < maxVisitors) {
      const index = started++;
      options.visit(index).then(
        () => {
          finished++;
          settle();
        },
        () => {
          finished++;
          failed++;
          settle();
        },
      );
    }
    if (started >= maxVisitors) finish();
  };
  const timer = setInterval(tick, 20);
  tick();

  return {
    counts: () => ({ started, finished, failed, elapsedMs: performance.now() - startedAt }),
    done,
    stop() {
      finish();
      return done;
    },
  };
}
