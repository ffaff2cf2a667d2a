/**
 * ASSIGNMENT.md's statistical requirement on the hash: with 100,000 sequential visitor IDs
 * (user-1 ... user-100000), the halves of two experiments whose keys differ only in the last
 * character are independent (2x2 chi-square test, p > 0.001), and 2, 3 and 5 equal buckets are
 * uniform (chi-square goodness of fit, p > 0.001). The same test applied to FNV-1a without the
 * fmix32 finalizer fails by a wide margin, which shows that the test can fail. Everything here is
 * deterministic, so these p-values are fixed numbers, not a coin flip on every run.
 */
import { describe, expect, it } from 'vitest';
import { fnv1a32 } from '../src/core/hash.js';
import { chooseVariant, equalWeights, hashUnit } from '../src/core/index.js';
import {
  chiSquareSurvival,
  independenceChiSquare,
  uniformityChiSquare,
} from './support/chi-square.js';

const N = 100_000;
const ALPHA = 0.001;
const visitorIds = Array.from({ length: N }, (_, i) => `user-${i + 1}`);

type UnitHash = (visitorId: string, experimentKey: string) => number;

/** u from FNV-1a alone, without the finalizer: the design ASSIGNMENT.md rules out. */
const plainFnvUnit: UnitHash = (visitorId, experimentKey) =>
  fnv1a32(`${visitorId}:${experimentKey}`) / 4294967296;

/** 2x2 table: rows = half in keyA (0 or 1), columns = half in keyB. */
function halvesTable(hash: UnitHash, keyA: string, keyB: string): number[][] {
  const table = [
    [0, 0],
    [0, 0],
  ];
  for (const id of visitorIds) {
    const a = chooseVariant(hash(id, keyA), [0.5, 0.5]);
    const b = chooseVariant(hash(id, keyB), [0.5, 0.5]);
    table[a]![b]!++;
  }
  return table;
}

function bucketCounts(key: string, k: number): number[] {
  const weights = equalWeights(k);
  const counts = new Array<number>(k).fill(0);
  for (const id of visitorIds) counts[chooseVariant(hashUnit(id, key), weights)]!++;
  return counts;
}

describe('hashUnit across experiments', () => {
  it.each([
    ['hero_v1', 'hero_v2'],
    ['hero_v2', 'hero_v3'],
    ['exp-a', 'exp-b'],
    ['checkout.1', 'checkout.2'],
  ])('puts user-1..user-100000 into independent halves of %s and %s (p > 0.001)', (a, b) => {
    const table = halvesTable(hashUnit, a, b);
    const p = chiSquareSurvival(independenceChiSquare(table), 1);
    expect(p).toBeGreaterThan(ALPHA);
    const sameHalf = (table[0]![0]! + table[1]![1]!) / N;
    expect(Math.abs(sameHalf - 0.5)).toBeLessThan(0.01);
  });

  it('fails the same test without the finalizer: plain FNV-1a correlates hero_v1 and hero_v2', () => {
    const table = halvesTable(plainFnvUnit, 'hero_v1', 'hero_v2');
    const p = chiSquareSurvival(independenceChiSquare(table), 1);
    expect(p).toBeLessThan(1e-6);
    // ASSIGNMENT.md: "about 98% of visitors land in the same half of both".
    const sameHalf = (table[0]![0]! + table[1]![1]!) / N;
    expect(sameHalf).toBeGreaterThan(0.95);
  });
});

describe('hashUnit within an experiment', () => {
  const cells = ['hero_v1', 'hero_v2'].flatMap((key) => [2, 3, 5].map((k) => [key, k] as const));

  it.each(cells)(
    'spreads user-1..user-100000 uniformly over equal buckets (%s, k = %d)',
    (key, k) => {
      const counts = bucketCounts(key, k);
      const p = chiSquareSurvival(uniformityChiSquare(counts), k - 1);
      expect(p).toBeGreaterThan(ALPHA);
    },
  );
});
