import type { LiveEventSummary } from '../domain-events.js';

/** What a live-stream subscriber gets at each flush. */
export interface LiveBatch {
  readonly events: LiveEventSummary[];
  /** Events the project received over the last second (all of them, sampled or not). */
  readonly receivedPerSecond: number;
  /** Whether `events` is a sample of what arrived. */
  readonly sampled: boolean;
}

interface Window {
  /** A uniform sample (reservoir) of this window's events. */
  readonly sample: LiveEventSummary[];
  received: number;
  /** Counts of the previous windows, newest last, covering up to one second. */
  readonly history: number[];
}

/**
 * The live stream of each project's incoming events, sampled: every `flushMs` it hands out at
 * most `maxPerSecond × flushMs / 1000` events per project, a uniform sample of those that
 * arrived (reservoir sampling), with the true rate. Adding is O(1) per event and memory is
 * bounded, whatever the rate: ingestion never waits for it.
 */
export class LiveStream {
  private readonly windows = new Map<string, Window>();
  private readonly perFlush: number;
  private readonly windowsPerSecond: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly send: (projectId: string, batch: LiveBatch) => void,
    maxPerSecond = 20,
    flushMs = 250,
    private readonly random: () => number = Math.random,
  ) {
    this.perFlush = Math.max(1, Math.floor((maxPerSecond * flushMs) / 1000));
    this.windowsPerSecond = Math.max(1, Math.round(1000 / flushMs));
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
  }

  add(projectId: string, events: readonly LiveEventSummary[]): void {
    let window = this.windows.get(projectId);
    if (!window) {
      window = { sample: [], received: 0, history: [] };
      this.windows.set(projectId, window);
    }
    for (const event of events) {
      window.received++;
      if (window.sample.length < this.perFlush) window.sample.push(event);
      else {
        const slot = Math.floor(this.random() * window.received);
        if (slot < this.perFlush) window.sample[slot] = event;
      }
    }
  }

  /** Hands out each project's window; forgets projects quiet for a second. */
  flush(): void {
    for (const [projectId, window] of this.windows) {
      window.history.push(window.received);
      if (window.history.length > this.windowsPerSecond) window.history.shift();
      const lastSecond = window.history.reduce((a, b) => a + b, 0);
      if (window.received > 0) {
        const events = [...window.sample].sort((a, b) => a.at - b.at);
        this.send(projectId, {
          events,
          receivedPerSecond: lastSecond,
          sampled: window.received > events.length,
        });
      }
      window.sample.length = 0;
      window.received = 0;
      if (lastSecond === 0) this.windows.delete(projectId);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.windows.clear();
  }
}
