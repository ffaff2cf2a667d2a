/**
 * Which experiment keys and visitor IDs are valid (ASSIGNMENT.md). Exported as predicates and
 * constants so that the SDK and the server (request schemas, database constraints) apply the same
 * rules.
 */

/** Longest experiment key, in characters. */
export const EXPERIMENT_KEY_MAX_LENGTH = 64;

/**
 * A valid experiment key: 1 to 64 ASCII letters, digits, `-`, `_` or `.`. No `:`, so the
 * `visitorId + ":" + experimentKey` input of the hash can never be ambiguous. The source is also a
 * valid POSIX regular expression (for a Postgres CHECK constraint: `key ~ '^[A-Za-z0-9._-]{1,64}$'`).
 */
export const EXPERIMENT_KEY_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Longest visitor ID, in UTF-16 code units (`String.prototype.length`). */
export const VISITOR_ID_MAX_LENGTH = 200;

/**
 * True when `key` is a string matching {@link EXPERIMENT_KEY_PATTERN}: 1 to 64 characters, each an
 * ASCII letter, a digit, `-`, `_` or `.`. Case-sensitive (`Hero` and `hero` are different keys).
 *
 * Source: ASSIGNMENT.md ("Experiment keys are restricted to ...").
 *
 * Complexity: O(n) for a string of length n (the pattern cannot backtrack).
 *
 * @example
 * isValidExperimentKey('hero_v1'); // => true
 * isValidExperimentKey('hero:v1'); // => false
 *
 * @param key any value.
 * @returns whether it is a valid experiment key. Never throws.
 */
export function isValidExperimentKey(key: unknown): key is string {
  return typeof key === 'string' && EXPERIMENT_KEY_PATTERN.test(key);
}

/**
 * True when `id` is a string of 1 to {@link VISITOR_ID_MAX_LENGTH} (200) characters, counted as
 * UTF-16 code units like `String.prototype.length` and zod's `.max()` (an emoji outside the Basic
 * Multilingual Plane counts 2). Visitor IDs are otherwise opaque: any content is accepted, spaces
 * and `:` included, and nothing is trimmed or normalised.
 *
 * Source: ASSIGNMENT.md ("Visitor IDs are opaque strings of 1 to 200 characters").
 *
 * Complexity: O(1).
 *
 * @example
 * isValidVisitorId('3f0c8f4e-8d5b-4c1e-9a57-2b1f0e6d7c90'); // => true
 * isValidVisitorId(''); // => false
 *
 * @param id any value.
 * @returns whether it is a valid visitor ID. Never throws.
 */
export function isValidVisitorId(id: unknown): id is string {
  return typeof id === 'string' && id.length >= 1 && id.length <= VISITOR_ID_MAX_LENGTH;
}
