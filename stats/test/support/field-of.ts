import { expect } from 'vitest';
import { StatsInputError } from '../../src/errors.js';

/** Runs `call`, asserts it throws a StatsInputError, and returns the field the error names. */
export function fieldOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(StatsInputError);
    return (error as StatsInputError).field;
  }
  throw new Error('expected a StatsInputError, nothing was thrown');
}
