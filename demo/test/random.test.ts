import { expect, it } from 'vitest';
import { exponential, visitorRandom } from '../src/random.js';

it('gives each visitor the same draws for the same seed, and other draws otherwise', () => {
  const draws = (seed: number, index: number) => {
    const random = visitorRandom(seed, index);
    return [random(), random(), random()];
  };
  expect(draws(7, 3)).toEqual(draws(7, 3));
  expect(draws(7, 3)).not.toEqual(draws(7, 4));
  expect(draws(7, 3)).not.toEqual(draws(8, 3));
  // First draws across visitors: uniform (mean 1/2, 10% under 0.1) within 4 standard errors.
  const first = Array.from({ length: 20_000 }, (_, i) => visitorRandom(7, i)());
  const mean = first.reduce((a, b) => a + b, 0) / first.length;
  expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / first.length));
  const under = first.filter((u) => u < 0.1).length / first.length;
  expect(Math.abs(under - 0.1)).toBeLessThan(4 * Math.sqrt(0.09 / first.length));
  expect(first.every((u) => u >= 0 && u < 1)).toBe(true);
  const waits = Array.from({ length: 20_000 }, (_, i) => exponential(visitorRandom(1, i), 20));
  const meanWait = waits.reduce((a, b) => a + b, 0) / waits.length;
  expect(Math.abs(meanWait - 20)).toBeLessThan(4 * (20 / Math.sqrt(waits.length)));
});
