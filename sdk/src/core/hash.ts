/**
 * Deterministic hash of a (visitor, experiment) pair to a number in [0, 1) (ASSIGNMENT.md,
 * "Hash"). The browser SDK and the server run this same code, so a visitor gets the same variant
 * on both sides even when the server is unreachable. No dependencies, no allocation per call.
 */

/** FNV-1a 32-bit offset basis (2166136261). */
const FNV_OFFSET_BASIS = 0x811c9dc5;
/** FNV-1a 32-bit prime (16777619). */
const FNV_PRIME = 0x01000193;
/** 2^32: turns a uint32 into a number in [0, 1) exactly (every uint32 / 2^32 is a double). */
const TWO_POW_32 = 4294967296;

/**
 * FNV-1a 32-bit hash of the UTF-8 bytes of `text`: h = 2166136261; for each byte b,
 * h = (h XOR b) * 16777619 mod 2^32.
 *
 * The string is encoded as UTF-8 on the fly, byte for byte what `new TextEncoder().encode(text)`
 * and Node's `Buffer.from(text, 'utf8')` produce, so browsers, Node and servers in other
 * languages agree: a surrogate pair is one 4-byte code point, and a lone surrogate (a string
 * that is not well-formed UTF-16) is encoded as U+FFFD (bytes EF BF BD), as the WHATWG
 * Encoding Standard does. No Unicode normalisation: "é" (U+00E9) and "e" + U+0301 hash apart.
 *
 * Source: Fowler, Noll and Vo, "FNV hash" (FNV-1a variant), http://www.isthe.com/chongo/tech/comp/fnv/
 * and IETF draft-eastlake-fnv.
 *
 * Complexity: O(n) time for n UTF-16 code units, O(1) space.
 *
 * @example
 * fnv1a32(''); // => 2166136261 (the offset basis)
 * fnv1a32('a'); // => 3826002220 (0xe40c292c)
 *
 * @param text any string.
 * @returns the hash, an integer in [0, 2^32).
 */
export function fnv1a32(text: string): number {
  let h = FNV_OFFSET_BASIS;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      // charCodeAt past the end is NaN, which fails both comparisons.
      const next = text.charCodeAt(i + 1);
      if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), FNV_PRIME);
    } else {
      if (c < 0x10000) {
        h = Math.imul(h ^ (0xe0 | (c >> 12)), FNV_PRIME);
      } else {
        h = Math.imul(h ^ (0xf0 | (c >> 18)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), FNV_PRIME);
      }
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
    }
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * The MurmurHash3 32-bit finalizer ("fmix32"): an invertible mix in which every input bit
 * affects every output bit with probability close to 1/2 (avalanche). Applied to FNV-1a it
 * removes the correlation between keys that differ only in their last characters.
 *
 *   h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35; h ^= h >>> 16  (mod 2^32)
 *
 * Source: Austin Appleby, MurmurHash3 (public domain), `fmix32` in MurmurHash3.cpp,
 * https://github.com/aappleby/smhasher.
 *
 * Complexity: O(1).
 *
 * @example
 * fmix32(0); // => 0
 * fmix32(1); // => 1364076727 (0x514e28b7)
 *
 * @param h an integer in [0, 2^32) (other numbers are reduced to their low 32 bits first).
 * @returns the mixed value, an integer in [0, 2^32).
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The assignment hash of ASSIGNMENT.md: u = fmix32(FNV-1a 32(UTF-8(visitorId + ":" +
 * experimentKey))) / 2^32, a uniform-looking number in [0, 1) that depends only on the two
 * strings. Give it to {@link chooseVariant} with the allocation's weights to get a variant.
 *
 * Both arguments are hashed exactly as given (no trimming, case folding or Unicode
 * normalisation) and may be any string; the hash does not validate them. Callers restrict
 * experiment keys with `isValidExperimentKey` so that the ":" separator is unambiguous
 * ("a:b" + ":" + "c" and "a" + ":" + "b:c" are the same bytes). A lone surrogate hashes as
 * U+FFFD (see {@link fnv1a32}), which is also what it becomes once stored as UTF-8 text.
 *
 * The result is a multiple of 2^-32, exact as a double, at most 1 - 2^-32.
 *
 * Source: ASSIGNMENT.md ("Hash"); FNV-1a by Fowler, Noll and Vo; fmix32 from MurmurHash3 by
 * Austin Appleby.
 *
 * Complexity: O(n) time in the combined length of the strings, O(1) extra space.
 *
 * @example
 * hashUnit('user-1', 'hero_v1'); // => 0.7984439637511969 (h = 3429290712)
 *
 * @param visitorId the visitor's ID (any string; valid IDs are 1 to 200 characters).
 * @param experimentKey the experiment's key (any string; valid keys match
 *   `EXPERIMENT_KEY_PATTERN`).
 * @returns u in [0, 1). Never throws.
 */
export function hashUnit(visitorId: string, experimentKey: string): number {
  return fmix32(fnv1a32(`${visitorId}:${experimentKey}`)) / TWO_POW_32;
}
