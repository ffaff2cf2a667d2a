import { describe, expect, it } from 'vitest';
import { alignDensities } from '../src/components/charts/align-densities.js';
import { describeNotification, interval, percent, points, statusLabel } from '../src/format.js';

describe('numbers as the dashboard writes them', () => {
  it('writes rates, differences and intervals in percent and percentage points', () => {
    expect(percent(0.1234)).toBe('12.3%');
    expect(percent(0.5, 0)).toBe('50%');
    expect(percent(Number.NaN)).toBe('–');
    expect(points(0.012)).toBe('+1.2 pp');
    expect(points(-0.004)).toBe('-0.4 pp');
    expect(interval([0.01, 0.2])).toBe('1.0% – 20.0%');
  });

  it('names statuses and notifications in words', () => {
    expect(statusLabel('ready_to_ship')).toBe('Ready to ship');
    expect(statusLabel('something_new')).toBe('something new');
    expect(statusLabel(null)).toBe('No data yet');
    expect(
      describeNotification({
        kind: 'ready_to_ship',
        payload: { experimentKey: 'hero', leader: 'bold' },
      }),
    ).toBe('hero: bold is ready to ship.');
  });
});

describe('alignDensities', () => {
  it('puts every curve on one grid, interpolating linearly and 0 outside its range', () => {
    const curve = (x: number[], y: number[]) => ({ density: { x, y } });
    const [xs, a, b] = alignDensities([
      curve([0, 0.1, 0.2], [0, 10, 0]),
      curve([0.1, 0.3], [5, 5]),
    ] as unknown as Parameters<typeof alignDensities>[0]);
    expect(xs).toHaveLength(240);
    expect(xs?.[0]).toBe(0);
    expect(xs?.at(-1)).toBeCloseTo(0.3, 12);
    const last = (xs as number[]).length - 1;
    expect(a?.[0]).toBe(0);
    expect(a?.[last]).toBe(0); // past its range
    expect(b?.[0]).toBe(0); // before its range
    expect(b?.[last]).toBeCloseTo(5, 9);
    // Midway up the first curve's left side: half its peak.
    const i = Math.round((0.05 / 0.3) * 239);
    const x = (xs as number[])[i] as number;
    expect(a?.[i]).toBeCloseTo(100 * x, 6);
  });
});
