import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from '../src/realtime/coalescer.js';

describe('Coalescer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first value at once, then at most one per interval, always the latest', () => {
    const sent: [string, number, number][] = [];
    const coalescer = new Coalescer<number>(100, (key, value) =>
      sent.push([key, value, Date.now()]),
    );
    const t0 = Date.now();
    coalescer.push('a', 1); // leading edge
    coalescer.push('a', 2);
    coalescer.push('a', 3);
    coalescer.push('b', 10); // another key is independent
    expect(sent).toEqual([
      ['a', 1, t0],
      ['b', 10, t0],
    ]);
    vi.advanceTimersByTime(100); // trailing edge: the latest only
    expect(sent.slice(2)).toEqual([['a', 3, t0 + 100]]);
    for (let i = 4; i < 50; i++) {
      coalescer.push('a', i);
      vi.advanceTimersByTime(7);
    }
    vi.advanceTimersByTime(500);
    const forA = sent.filter(([key]) => key === 'a');
    // Never two sends of one key within 100 ms, and the last value pushed went out.
    for (let i = 1; i < forA.length; i++) {
      expect(forA[i]![2] - forA[i - 1]![2]).toBeGreaterThanOrEqual(100);
    }
    expect(forA.at(-1)?.[1]).toBe(49);
    // Quiet again: the next value goes out at once.
    const before = sent.length;
    coalescer.push('a', 99);
    expect(sent.length).toBe(before + 1);
    coalescer.close();
  });
});
