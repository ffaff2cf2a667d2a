/**
 * The shared vectors in spec/assignment-cases.json (written by scripts/generate-assignment-cases.mjs
 * with an independent BigInt implementation and cross-checked in Python) must all hold exactly.
 */
import { describe, expect, it } from 'vitest';
import cases from '../spec/assignment-cases.json' with { type: 'json' };
import { fmix32, fnv1a32 } from '../src/core/hash.js';
import { assignVariant, chooseVariant, hashUnit } from '../src/core/index.js';

const utf8Hex = (text: string): string =>
  Buffer.from(new TextEncoder().encode(text)).toString('hex');

describe('assignment-cases.json', () => {
  it('holds at least 40 hash, 20 choose and some end-to-end vectors', () => {
    expect(cases.hash.length).toBeGreaterThanOrEqual(40);
    expect(cases.choose.length).toBeGreaterThanOrEqual(20);
    expect(cases.assignments.length).toBeGreaterThanOrEqual(10);
    expect(cases.chooseErrors.length).toBeGreaterThanOrEqual(5);
    expect(cases.description).toContain('fmix32');
  });

  describe('hash', () => {
    it.each(cases.hash)('hashUnit($visitorId, $experimentKey) = $u', (c) => {
      const key = `${c.visitorId}:${c.experimentKey}`;
      expect(utf8Hex(key)).toBe(c.utf8);
      expect(fnv1a32(key)).toBe(c.h0);
      expect(fmix32(c.h0)).toBe(c.h);
      expect(c.u).toBe(c.h / 4294967296);
      expect(hashUnit(c.visitorId, c.experimentKey)).toBe(c.u);
    });
  });

  describe('loneSurrogates', () => {
    it.each(cases.loneSurrogates)('hashUnit($visitorIdCodeUnits, $experimentKey) = $u', (c) => {
      const visitorId = String.fromCharCode(...c.visitorIdCodeUnits);
      const key = `${visitorId}:${c.experimentKey}`;
      // The bytes are TextEncoder's: every lone surrogate is U+FFFD (EF BF BD).
      expect(utf8Hex(key)).toBe(c.utf8);
      expect(c.utf8).toContain('efbfbd');
      expect(fnv1a32(key)).toBe(c.h0);
      expect(fmix32(c.h0)).toBe(c.h);
      expect(hashUnit(visitorId, c.experimentKey)).toBe(c.u);
    });
  });

  describe('choose', () => {
    it.each(cases.choose)('chooseVariant($u, $weights) = $variant', (c) => {
      expect(chooseVariant(c.u, c.weights)).toBe(c.variant);
    });
  });

  describe('chooseErrors', () => {
    it.each(cases.chooseErrors)('chooseVariant($u, $weights) throws: $reason', (c) => {
      expect(() => chooseVariant(c.u as number, c.weights as number[])).toThrow(RangeError);
    });
  });

  describe('assignments', () => {
    it.each(cases.assignments)(
      'assignVariant($visitorId, $experimentKey, $weights) = $variant',
      (c) => {
        expect(hashUnit(c.visitorId, c.experimentKey)).toBe(c.u);
        expect(assignVariant(c.visitorId, c.experimentKey, c.weights)).toBe(c.variant);
      },
    );
  });
});
