import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmix32, fnv1a32, hashUnit } from '../src/core/hash.js';

/** Reference FNV-1a over TextEncoder's bytes (the WHATWG UTF-8 encoder). */
function referenceFnv1a(text: string): number {
  let h = 2166136261;
  for (const byte of new TextEncoder().encode(text)) {
    h = (h ^ byte) >>> 0;
    // (h * 16777619) mod 2^32 without losing bits: split the prime into 2^24 + 403.
    h = ((h * 403) % 4294967296) + (((h % 256) * 16777216) % 4294967296);
    h %= 4294967296;
  }
  return h >>> 0;
}

/** Any sequence of UTF-16 code units: well-formed text, surrogate pairs and lone surrogates. */
const codeUnitString = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xffff }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    ),
    { maxLength: 40 },
  )
  .map((units) => String.fromCharCode(...units));

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    // From the FNV test suite (Fowler, Noll and Vo, test_fnv.c, FNV1a_32).
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes TextEncoder produces, for any UTF-16 string', () => {
    fc.assert(
      fc.property(codeUnitString, (text) => {
        expect(fnv1a32(text)).toBe(referenceFnv1a(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes a lone surrogate as U+FFFD, as TextEncoder encodes it', () => {
    // TextEncoder (WHATWG Encoding Standard) and Buffer.from(text, 'utf8') both write EF BF BD
    // for an unpaired surrogate; hashing the same bytes keeps every side in agreement.
    expect([...new TextEncoder().encode('\ud83d')]).toEqual([0xef, 0xbf, 0xbd]);
    for (const lone of ['\ud83d', '\udead', '\ud800', '\udfff']) {
      expect(fnv1a32(lone)).toBe(fnv1a32('\ufffd'));
      expect(fnv1a32(`x${lone}y`)).toBe(fnv1a32('x\ufffdy'));
    }
    expect(fnv1a32('\ude00\ud83d')).toBe(fnv1a32('\ufffd\ufffd'));
    expect(fnv1a32('\ud83d\ud83d\ude00')).toBe(fnv1a32('\ufffd\u{1f600}'));
    expect(hashUnit('\ud83d', 'hero_v1')).toBe(hashUnit('\ufffd', 'hero_v1'));
  });

  it('hashes a surrogate pair as one 4-byte code point', () => {
    expect([...new TextEncoder().encode('\u{1f600}')]).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(fnv1a32('\ud83d\ude00')).toBe(referenceFnv1a('\u{1f600}'));
    expect(fnv1a32('\ud83d\ude00')).not.toBe(fnv1a32('\ufffd\ufffd'));
  });
});

describe('fmix32', () => {
  it('matches MurmurHash3_x86_32 of the empty input, which is fmix32(seed)', () => {
    // SMHasher's verification values: MurmurHash3_x86_32('', seed) = fmix32(seed ^ 0).
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
    expect(fmix32(0xffffffff)).toBe(0x81f16f39);
  });

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (h) => {
        const mixed = fmix32(h);
        expect(Number.isInteger(mixed) && mixed >= 0 && mixed <= 0xffffffff).toBe(true);
      }),
    );
  });
});

describe('hashUnit', () => {
  it('is in [0, 1), a multiple of 2^-32, and deterministic', () => {
    fc.assert(
      fc.property(codeUnitString, codeUnitString, (visitorId, experimentKey) => {
        const u = hashUnit(visitorId, experimentKey);
        expect(u >= 0 && u < 1).toBe(true);
        expect(Number.isInteger(u * 4294967296)).toBe(true);
        expect(hashUnit(visitorId, experimentKey)).toBe(u);
      }),
    );
  });

  it('hashes visitorId + ":" + experimentKey with no normalisation', () => {
    expect(hashUnit('a:b', 'c')).toBe(hashUnit('a', 'b:c'));
    expect(hashUnit('\u00e9', 'k')).not.toBe(hashUnit('e\u0301', 'k'));
    expect(hashUnit('user-1', 'hero_v1')).not.toBe(hashUnit('USER-1', 'hero_v1'));
    expect(hashUnit('user-1', 'hero_v1')).toBe(fmix32(fnv1a32('user-1:hero_v1')) / 2 ** 32);
  });
});
