/**
 * Thrown for every invalid input to the stats engine. `field` names the offending input with a
 * path such as `variants[1].conversions`, so callers (the server's HTTP layer, the dashboard)
 * can point at it without parsing the message.
 */
export class StatsInputError extends Error {
  override readonly name = 'StatsInputError';
  readonly code = 'invalid_stats_input';

  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** Throws unless `value` is a finite number. */
export function assertFinite(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StatsInputError(field, `must be a finite number, got ${String(value)}`);
  }
}

/** Throws unless `value` is a finite number strictly greater than zero. */
export function assertPositive(value: unknown, field: string): asserts value is number {
  assertFinite(value, field);
  if (value <= 0) throw new StatsInputError(field, `must be > 0, got ${value}`);
}

/** Throws unless `value` is a non-negative integer (a count of visitors or conversions). */
export function assertCount(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StatsInputError(field, `must be a non-negative integer, got ${String(value)}`);
  }
}

/** Throws unless `value` is a finite number in the closed interval [lo, hi]. */
export function assertInRange(
  value: unknown,
  field: string,
  lo: number,
  hi: number,
): asserts value is number {
  assertFinite(value, field);
  if (value < lo || value > hi) {
    throw new StatsInputError(field, `must be in [${lo}, ${hi}], got ${value}`);
  }
}
