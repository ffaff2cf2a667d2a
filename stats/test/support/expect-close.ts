import { expect } from 'vitest';

/**
 * Asserts |actual - expected| <= tolerance with a message that shows both values and the gap
 * (a NaN actual fails, since NaN <= tolerance is false).
 */
export function expectClose(actual: number, expected: number, tolerance: number, what: string) {
  const gap = Math.abs(actual - expected);
  expect(
    gap,
    `${what}: got ${actual}, expected ${expected} (gap ${gap.toExponential(2)} > ${tolerance})`,
  ).toBeLessThanOrEqual(tolerance);
}

/** Element-wise expectClose for two arrays of the same length. */
export function expectAllClose(
  actual: readonly number[],
  expected: readonly number[],
  tolerance: number,
  what: string,
) {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  actual.forEach((value, i) => {
    expectClose(value, expected[i]!, tolerance, `${what}[${i}]`);
  });
}
