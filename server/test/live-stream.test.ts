import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveEventSummary } from '../src/domain-events.js';
import { type LiveBatch, LiveStream } from '../src/realtime/live-stream.js';

const event = (i: number): LiveEventSummary => ({
  type: 'page_view',
  experiment: null,
  variant: null,
  goal: null,
  page: `/p/${i}`,
  visitor: `v${i}`.padEnd(8, '0'),
  at: 1_000 + i,
});

describe('LiveStream', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands out at most 20 events a second per project, a sample, with the true rate', () => {
    const sent: [string, LiveBatch][] = [];
    const stream = new LiveStream((projectId, batch) => sent.push([projectId, batch]), 20, 250);
    stream.add(
      'p1',
      Array.from({ length: 1_000 }, (_, i) => event(i)),
    );
    stream.add('p2', [event(1), event(2)]);
    vi.advanceTimersByTime(250);
    const p1 = sent.find(([id]) => id === 'p1')?.[1];
    expect(p1?.events).toHaveLength(5);
    expect(p1?.sampled).toBe(true);
    expect(p1?.receivedPerSecond).toBe(1_000);
    // Sorted by time, and drawn from across the window, not only its first events.
    const ats = p1?.events.map((e) => e.at) ?? [];
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
    const p2 = sent.find(([id]) => id === 'p2')?.[1];
    expect(p2).toEqual({ events: [event(1), event(2)], receivedPerSecond: 2, sampled: false });

    // The rate covers the last second (four windows); a quiet window sends nothing.
    sent.length = 0;
    for (let w = 0; w < 3; w++) {
      stream.add('p1', [event(w)]);
      vi.advanceTimersByTime(250);
    }
    expect(sent.map(([, b]) => b.receivedPerSecond)).toEqual([1_001, 1_002, 1_003]);
    stream.add('p1', [event(9)]);
    vi.advanceTimersByTime(250);
    expect(sent.at(-1)?.[1].receivedPerSecond).toBe(4); // the burst has left the last second
    expect(sent.at(-1)?.[1].sampled).toBe(false);
    sent.length = 0;
    vi.advanceTimersByTime(2_000);
    expect(sent).toEqual([]);
    stream.close();
  });
});
