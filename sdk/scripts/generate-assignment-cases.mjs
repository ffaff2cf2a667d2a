/**
 * Writes spec/assignment-cases.json, the assignment test vectors that the SDK's and the server's
 * tests both check.
 *
 * The expected values are computed here by a second implementation of ASSIGNMENT.md that shares
 * no code with src/core: UTF-8 bytes from Node's Buffer, FNV-1a and fmix32 in BigInt arithmetic
 * with explicit reduction modulo 2^32, and the variant as the number of cumulative sums that are
 * <= u (capped at K - 1) rather than a first-match scan. scripts/cross-check-assignment-cases.py
 * checks the written file once more in Python.
 *
 * Usage: npm run generate:cases -w sdk (writes the file, then formats it with Biome)
 */
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';

const MOD = 2n ** 32n;

/** FNV-1a 32-bit over the bytes, as a BigInt in [0, 2^32). */
function fnv1a(bytes) {
  let h = 2166136261n;
  for (const byte of bytes) {
    h = ((h ^ BigInt(byte)) * 16777619n) % MOD;
  }
  return h;
}

/** MurmurHash3 fmix32, as a BigInt in [0, 2^32). */
function fmix(h) {
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) % MOD;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) % MOD;
  h ^= h >> 16n;
  return h;
}

function hashCase(visitorId, experimentKey, note) {
  const bytes = Buffer.from(`${visitorId}:${experimentKey}`, 'utf8');
  const h0 = fnv1a(bytes);
  const h = fmix(h0);
  const u = Number(h) / 2 ** 32;
  if (BigInt(u * 2 ** 32) !== h) throw new Error(`u is not exact for ${visitorId}`);
  const entry = {
    visitorId,
    experimentKey,
    utf8: bytes.toString('hex'),
    h0: Number(h0),
    h: Number(h),
    u,
  };
  return note === undefined ? entry : { ...entry, note };
}

/** Variant = #{i : S_i <= u} capped at K - 1, S_i the left-to-right double partial sums. */
function variantOf(u, weights) {
  const sums = [];
  let s = 0;
  for (const w of weights) {
    s += w;
    sums.push(s);
  }
  const atOrBelow = sums.filter((sum) => sum <= u).length;
  return Math.min(atOrBelow, weights.length - 1);
}

function chooseCase(u, weights, note) {
  return { u, weights, variant: variantOf(u, weights), note };
}

const MAX_U = 1 - 2 ** -32; // largest value the hash can produce
const BELOW_ONE = 1 - 2 ** -53; // largest double below 1

// --- hash vectors --------------------------------------------------------------------------------

const hash = [];
for (let i = 1; i <= 5; i++) {
  for (const key of ['hero_v1', 'hero_v2']) hash.push(hashCase(`user-${i}`, key));
}
hash.push(
  hashCase('user-100000', 'hero_v1'),
  hashCase('user-100000', 'hero_v2'),
  hashCase('3f0c8f4e-8d5b-4c1e-9a57-2b1f0e6d7c90', 'checkout.button-color', 'a UUID visitor ID'),
  hashCase('', '', 'empty strings: the hashed bytes are just ":"'),
  hashCase('', 'hero_v1', 'empty visitor ID (invalid as an ID, but the hash accepts it)'),
  hashCase('user-1', '', 'empty experiment key (invalid as a key, but the hash accepts it)'),
  hashCase('a:b', 'c', 'same bytes as ("a", "b:c"): why keys may not contain ":"'),
  hashCase('a', 'b:c', 'same bytes as ("a:b", "c")'),
  hashCase('USER-1', 'hero_v1', 'case-sensitive: differs from user-1'),
  hashCase(' user-1', 'hero_v1', 'no trimming: leading space'),
  hashCase('user-1 ', 'hero_v1', 'no trimming: trailing space'),
  hashCase('0', 'A', 'one-character ID and key'),
  hashCase('\u0000', 'hero_v1', 'NUL character (one byte 00)'),
  hashCase('\u007f', 'hero_v1', 'U+007F, the last 1-byte code point'),
  hashCase('\u0080', 'hero_v1', 'U+0080, the first 2-byte code point'),
  hashCase('\u07ff', 'hero_v1', 'U+07FF, the last 2-byte code point'),
  hashCase('\u0800', 'hero_v1', 'U+0800, the first 3-byte code point'),
  hashCase('\uffff', 'hero_v1', 'U+FFFF, the last 3-byte code point'),
  hashCase('\u{10000}', 'hero_v1', 'U+10000, the first 4-byte code point (surrogate pair)'),
  hashCase('\u{10ffff}', 'hero_v1', 'U+10FFFF, the last code point (surrogate pair)'),
  hashCase('\u00e9', 'hero_v1', '"é" precomposed (U+00E9)'),
  hashCase(
    'e\u0301',
    'hero_v1',
    '"é" decomposed (e + U+0301): no normalisation, differs from U+00E9',
  ),
  hashCase('J\u00fcrgen', 'hero_v1', '"ü" precomposed'),
  hashCase(
    'Ju\u0308rgen',
    'hero_v1',
    '"ü" decomposed (u + U+0308): differs from the precomposed one',
  ),
  hashCase('用户-42', 'hero_v1', 'CJK'),
  hashCase('ユーザー', 'hero_v2', 'Japanese katakana'),
  hashCase('사용자', 'hero_v2', 'Korean hangul'),
  hashCase('пользователь', 'hero_v1', 'Cyrillic'),
  hashCase('😀', 'hero_v1', 'emoji U+1F600, an astral-plane surrogate pair'),
  hashCase('👩‍💻', 'hero_v1', 'emoji ZWJ sequence (woman, zero-width joiner, laptop)'),
  hashCase('🇫🇷', 'hero_v1', 'flag: two regional indicator symbols'),
  hashCase('\ufffd', 'hero_v1', 'U+FFFD: the bytes every lone surrogate is encoded as'),
  hashCase('x'.repeat(200), 'hero_v1', '200 characters, the longest valid visitor ID'),
  hashCase(
    'é'.repeat(200),
    'hero_v1',
    '200 two-byte characters: longest valid ID, 400 UTF-8 bytes',
  ),
  hashCase('😀'.repeat(100), 'hero_v1', '100 emoji = 200 UTF-16 code units, 400 UTF-8 bytes'),
  hashCase('user-1', 'k'.repeat(64), '64 characters, the longest valid experiment key'),
  hashCase('user-1', 'Checkout.Button-Color_2025', 'key using every allowed character class'),
);

// Visitor IDs that are not well-formed UTF-16. JSON can carry them only as "\udXXX" escapes, which
// some JSON parsers reject (Vite's, for one), so they are given as arrays of UTF-16 code units.
function loneSurrogateCase(codeUnits, experimentKey, note) {
  const { visitorId, ...rest } = hashCase(String.fromCharCode(...codeUnits), experimentKey, note);
  return { visitorIdCodeUnits: codeUnits, ...rest };
}

const loneSurrogates = [
  loneSurrogateCase(
    [0xd83d],
    'hero_v1',
    'lone high surrogate: encoded as U+FFFD, like TextEncoder',
  ),
  loneSurrogateCase([0xde00], 'hero_v1', 'lone low surrogate: encoded as U+FFFD'),
  loneSurrogateCase([0xde00, 0xd83d], 'hero_v1', 'reversed surrogate pair: two U+FFFD'),
  loneSurrogateCase([0x41, 0xd83d], 'hero_v1', 'high surrogate at the end of the ID ("A" U+FFFD)'),
  loneSurrogateCase([0xd83d, 0x41], 'hero_v1', 'high surrogate followed by "A" (U+FFFD "A")'),
  loneSurrogateCase(
    [0xd83d, 0xd83d, 0xde00],
    'hero_v1',
    'lone high surrogate, then a valid pair (U+FFFD U+1F600)',
  ),
];

// --- choose vectors ------------------------------------------------------------------------------

const choose = [
  chooseCase(0, [0.5, 0.5], 'u = 0'),
  chooseCase(0.25, [0.5, 0.5], 'inside the first half'),
  chooseCase(0.5 - 2 ** -32, [0.5, 0.5], 'largest hash value below the boundary'),
  chooseCase(0.5, [0.5, 0.5], 'u equal to a cumulative sum goes to the next variant'),
  chooseCase(MAX_U, [0.5, 0.5], 'largest hash value'),
  chooseCase(0.1, [0.1, 0.2, 0.7], 'boundary 0.1 exactly'),
  chooseCase(0.09999999999999999, [0.1, 0.2, 0.7], 'just below 0.1'),
  chooseCase(
    0.3,
    [0.1, 0.2, 0.7],
    '0.1 + 0.2 = 0.30000000000000004 in doubles, so u = 0.3 is still variant 1',
  ),
  chooseCase(0.30000000000000004, [0.1, 0.2, 0.7], 'u equal to the double sum 0.1 + 0.2'),
  chooseCase(
    0.6,
    [0.2, 0.2, 0.2, 0.2, 0.2],
    '0.2 + 0.2 + 0.2 = 0.6000000000000001, so u = 0.6 is variant 2',
  ),
  chooseCase(0.8, [0.2, 0.2, 0.2, 0.2, 0.2], 'boundary 0.8 exactly'),
  chooseCase(1 / 3, [1 / 3, 1 / 3, 1 / 3], 'u equal to 1/3 as a double'),
  chooseCase(2 / 3 - 2 ** -53, [1 / 3, 1 / 3, 1 / 3], 'just below the double sum 1/3 + 1/3'),
  chooseCase(1 / 3 + 1 / 3, [1 / 3, 1 / 3, 1 / 3], 'u equal to the double sum 1/3 + 1/3'),
  chooseCase(0.75, [0.25, 0.25, 0.25, 0.25], 'boundary 0.75 exactly'),
  chooseCase(0.7499999999999999, [0.25, 0.25, 0.25, 0.25], 'just below 0.75'),
  chooseCase(
    BELOW_ONE,
    Array(10).fill(0.1),
    'ten times 0.1 sums to 0.9999999999999999 = u: the leftover goes to the last variant',
  ),
  chooseCase(
    0.99999999995,
    [0.3333333333, 0.3333333333, 0.3333333333],
    'weights sum to 0.9999999999: u above the total goes to the last variant',
  ),
  chooseCase(
    0.99999995,
    [0.5, 0.4999999, 0],
    'leftover above the total 0.9999999 goes to the last variant even with weight 0',
  ),
  chooseCase(0.5, [0.5, 0.4999999, 0], 'a weight-0 last variant below the total is not chosen'),
  chooseCase(0.6, [0.6000001, 0.4], 'weights summing to slightly more than 1'),
  chooseCase(0, [0, 1], 'u = 0 skips a leading weight-0 variant (0 < 0 is false)'),
  chooseCase(0, [0, 0, 1], 'u = 0 skips every leading weight-0 variant'),
  chooseCase(0.5, [0.5, 0, 0.5], 'u at the boundary skips the weight-0 variant after it'),
  chooseCase(0.49999999976716936, [0.5, 0, 0.5], 'just below the boundary'),
  chooseCase(MAX_U, [1, 0], 'a trailing weight-0 variant is not chosen when the total is 1'),
  chooseCase(MAX_U, [1, 0, 0], 'nor are several'),
  chooseCase(0, [1], 'a single variant'),
  chooseCase(BELOW_ONE, [1], 'a single variant, u just below 1'),
  chooseCase(0.0999999999, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 'ten variants'),
  chooseCase(0.95, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 'ten variants, last one'),
];

// Inputs chooseVariant must reject with a RangeError. JSON has no NaN or Infinity; those are
// covered by the SDK's own tests.
const chooseErrors = [
  { u: 0.5, weights: [], reason: 'no variants' },
  { u: 0.5, weights: [-0.1, 1.1], reason: 'negative weight' },
  { u: 0.5, weights: [0.5, 0.4], reason: 'weights sum to 0.9' },
  { u: 0.5, weights: [0.5, 0.5, 0.5], reason: 'weights sum to 1.5' },
  { u: 0.5, weights: [0, 0], reason: 'weights sum to 0' },
  {
    u: 0.5,
    weights: [0.5, 0.499998],
    reason: 'weights sum to 0.999998, outside the 1e-6 tolerance',
  },
  { u: 0.5, weights: [1, null], reason: 'a weight that is not a number' },
  { u: -0.1, weights: [0.5, 0.5], reason: 'u below 0' },
  { u: 1, weights: [0.5, 0.5], reason: 'u = 1' },
  { u: 1.5, weights: [0.5, 0.5], reason: 'u above 1' },
  { u: null, weights: [0.5, 0.5], reason: 'u not a number' },
];

// --- end-to-end vectors --------------------------------------------------------------------------

const assignmentInputs = [
  ['user-1', 'hero_v1', [0.5, 0.5]],
  ['user-1', 'hero_v2', [0.5, 0.5]],
  ['user-2', 'hero_v1', [0.5, 0.5]],
  ['user-3', 'hero_v1', [1 / 3, 1 / 3, 1 / 3]],
  ['user-4', 'hero_v1', [0.1, 0.2, 0.7]],
  ['user-5', 'pricing-page', [0.2, 0.2, 0.2, 0.2, 0.2]],
  ['3f0c8f4e-8d5b-4c1e-9a57-2b1f0e6d7c90', 'checkout.button-color', [0.25, 0.25, 0.25, 0.25]],
  ['\u00e9', 'hero_v1', [0.5, 0.5]],
  ['e\u0301', 'hero_v1', [0.5, 0.5]],
  ['用户-42', 'onboarding_flow', [0.6, 0.3, 0.1]],
  ['😀', 'hero_v1', [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]],
  ['user-100000', 'hero_v2', [0.7, 0, 0.3]],
  ['user-42', 'hero_v1', [1]],
];
const assignments = assignmentInputs.map(([visitorId, experimentKey, weights]) => {
  const { u } = hashCase(visitorId, experimentKey);
  return { visitorId, experimentKey, weights, u, variant: variantOf(u, weights) };
});

const cases = {
  description: [
    'Deterministic assignment test vectors (ASSIGNMENT.md), checked by the SDK and server tests.',
    'hash: u = fmix32(fnv1a32(utf8(visitorId + ":" + experimentKey))) / 2^32, where utf8 is the',
    'WHATWG UTF-8 encoding (lone surrogates become U+FFFD, no Unicode normalisation); fnv1a32 has',
    'offset basis 2166136261 and prime 16777619 (h = (h XOR byte) * prime mod 2^32); fmix32 is the',
    'MurmurHash3 finalizer h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35;',
    'h ^= h >>> 16 (mod 2^32). Fields: utf8 = the hashed bytes in hex, h0 = FNV-1a before the',
    'finalizer, h = after it, u = h / 2^32 (exact as a double). loneSurrogates: the same for',
    'visitor IDs that are not well-formed UTF-16, given as visitorIdCodeUnits (UTF-16 code units,',
    'build the string with String.fromCharCode) because JSON parsers differ on lone "\\udXXX"',
    'escapes.',
    'choose: variant = the first i with u < w_0 + ... + w_i (partial sums left to right in IEEE',
    'doubles); if there is none, the last index. chooseErrors: inputs that must raise an error',
    '(u outside [0, 1), no weights, a weight that is not a finite number >= 0, or weights whose',
    'sum is further than 1e-6 from 1). assignments: hash then choose.',
    'Generated by sdk/scripts/generate-assignment-cases.mjs (BigInt arithmetic, Buffer UTF-8);',
    'cross-checked by sdk/scripts/cross-check-assignment-cases.py. Do not edit by hand.',
  ].join(' '),
  hash,
  loneSurrogates,
  choose,
  chooseErrors,
  assignments,
};

const target = new URL('../spec/assignment-cases.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(cases, null, 2)}\n`);
console.log(
  `wrote ${hash.length} hash, ${loneSurrogates.length} lone-surrogate, ${choose.length} choose, ` +
    `${chooseErrors.length} error and ${assignments.length} assignment cases`,
);
