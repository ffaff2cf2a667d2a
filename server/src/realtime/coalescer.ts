/**
 * Per-key throttle with leading and trailing edges: the first value for a key goes out at once;
 * values arriving within `intervalMs` after a send wait, and only the latest of them goes out
 * when the interval ends. So a key sends at most once per interval, and its last value is
 * always sent.
 */
export class Coalescer<V> {
  private readonly pending = new Map<string, V>();
  private readonly cooling = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly intervalMs: number,
    private readonly send: (key: string, value: V) => void,
  ) {}

  push(key: string, value: V): void {
    if (this.cooling.has(key)) {
      this.pending.set(key, value);
      return;
    }
    this.sendNow(key, value);
  }

  /** Stops every timer; pending values are dropped (for shutdown). */
  close(): void {
    for (const timer of this.cooling.values()) clearTimeout(timer);
    this.cooling.clear();
    this.pending.clear();
  }

  private sendNow(key: string, value: V): void {
    this.send(key, value);
    const timer = setTimeout(() => {
      this.cooling.delete(key);
      const latest = this.pending.get(key);
      if (latest === undefined) return;
      this.pending.delete(key);
      this.sendNow(key, latest);
    }, this.intervalMs);
    timer.unref();
    this.cooling.set(key, timer);
  }
}
