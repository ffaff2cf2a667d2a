import { describe, expect, it } from 'vitest';
import {
  addProxyObservation,
  cupedAdjust,
  emptyProxyAccumulator,
  mergeProxyAccumulators,
  type ProxyAccumulator,
  proxyPosterior,
} from '../src/proxy/index.js';
import { mulberry32 } from './support/mulberry32.js';

/** Standard normal draws by Box-Muller from a seeded uniform generator. */
function normalGenerator(seed: number): () => number {
  const rand = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const covariance = (a: readonly number[], b: readonly number[]) => {
  const ma = mean(a);
  const mb = mean(b);
  return a.reduce((s, x, i) => s + (x - ma) * (b[i]! - mb), 0) / (a.length - 1);
};

interface RawVariant {
  key: string;
  x: number[];
  y: number[];
}

function simulate(seed: number, sizes: readonly number[], effects: readonly number[], rho: number) {
  const normal = normalGenerator(seed);
  return sizes.map((n, v): RawVariant => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const xi = 0.3 + normal();
      x.push(xi);
      y.push(effects[v]! + rho * xi + Math.sqrt(1 - rho * rho) * normal());
    }
    return { key: `v${v}`, x, y };
  });
}

function accumulate(raw: RawVariant, withX = true): ProxyAccumulator {
  let acc = emptyProxyAccumulator(raw.key);
  raw.y.forEach((y, i) => {
    acc = withX ? addProxyObservation(acc, y, raw.x[i]!) : addProxyObservation(acc, y);
  });
  return acc;
}

describe('ProxyAccumulator', () => {
  it('adds one visitor without mutating its input', () => {
    const empty = emptyProxyAccumulator('b');
    const one = addProxyObservation(empty, 0.5, 0.2);
    expect(empty).toEqual({ key: 'b', n: 0, sumY: 0, sumY2: 0 });
    expect(one).toEqual({
      key: 'b',
      n: 1,
      sumY: 0.5,
      sumY2: 0.25,
      sumX: 0.2,
      sumX2: expect.closeTo(0.04, 15),
      sumXY: 0.1,
    });
    expect(addProxyObservation(emptyProxyAccumulator('a'), -2)).toEqual({
      key: 'a',
      n: 1,
      sumY: -2,
      sumY2: 4,
    });
  });

  it('merges partial sums into the sums of the whole', () => {
    const [raw] = simulate(3, [50], [0], 0.5);
    const whole = accumulate(raw!);
    const first = accumulate({ ...raw!, x: raw!.x.slice(0, 20), y: raw!.y.slice(0, 20) });
    const second = accumulate({ ...raw!, x: raw!.x.slice(20), y: raw!.y.slice(20) });
    const merged = mergeProxyAccumulators(first, second);
    expect(merged.n).toBe(50);
    for (const field of ['sumY', 'sumY2', 'sumX', 'sumX2', 'sumXY'] as const) {
      expect(merged[field]).toBeCloseTo(whole[field]!, 10);
    }
  });
});

describe('CUPED (Deng, Xu, Kohavi and Walker 2013)', () => {
  it('matches theta, adjusted means and variances computed from the raw per-visitor arrays', () => {
    const raw = simulate(42, [300, 250, 180], [0, 0.1, -0.05], 0.6);
    const result = proxyPosterior(raw.map((r) => accumulate(r)));

    const allX = raw.flatMap((r) => r.x);
    const allY = raw.flatMap((r) => r.y);
    const theta = covariance(allX, allY) / covariance(allX, allX);
    const meanX = mean(allX);
    expect(result.cupedApplied).toBe(true);
    expect(result.theta).toBeCloseTo(theta, 10);
    raw.forEach((r, v) => {
      const adjusted = r.y.map((y, i) => y - theta * (r.x[i]! - meanX));
      const expectedMean = mean(r.y) - theta * (mean(r.x) - meanX);
      expect(result.variants[v]!.mean).toBeCloseTo(expectedMean, 10);
      expect(mean(adjusted)).toBeCloseTo(expectedMean, 12);
      const se = Math.sqrt(covariance(adjusted, adjusted) / r.y.length);
      expect(result.variants[v]!.standardError).toBeCloseTo(se, 10);
      expect(result.variants[v]!.standardErrorSource).toBe('variant');
    });
  });

  it('falls back to theta = 0 without a covariate, with var(X) = 0, or when disabled', () => {
    const raw = simulate(5, [40, 40], [0, 0], 0.8);
    const plain = proxyPosterior(raw.map((r) => accumulate(r, false)));
    expect(plain.theta).toBe(0);
    expect(plain.cupedApplied).toBe(false);
    plain.variants.forEach((v, i) => {
      expect(v.mean).toBeCloseTo(mean(raw[i]!.y), 12);
      expect(v.standardError).toBeCloseTo(
        Math.sqrt(covariance(raw[i]!.y, raw[i]!.y) / raw[i]!.y.length),
        12,
      );
    });
    const constantX = raw.map((r) => accumulate({ ...r, x: r.x.map(() => 0.37) }));
    expect(cupedAdjust(constantX).theta).toBe(0);
    expect(cupedAdjust(constantX).applied).toBe(false);
    const disabled = proxyPosterior(
      raw.map((r) => accumulate(r)),
      { cuped: false },
    );
    expect(disabled.theta).toBe(0);
    expect(disabled.variants[0]!.mean).toBeCloseTo(plain.variants[0]!.mean, 12);
    // Covariate on one variant only: not applied.
    const mixed = proxyPosterior([accumulate(raw[0]!), accumulate(raw[1]!, false)]);
    expect(mixed.cupedApplied).toBe(false);
  });

  it('reduces the standard error by about sqrt(1 - rho^2) on correlated data', () => {
    const rho = 0.7;
    const raw = simulate(99, [2000, 2000], [0, 0.05], rho);
    const cuped = proxyPosterior(raw.map((r) => accumulate(r)));
    const plain = proxyPosterior(raw.map((r) => accumulate(r, false)));
    const target = Math.sqrt(1 - rho * rho); // 0.714
    cuped.variants.forEach((v, i) => {
      const ratio = v.standardError / plain.variants[i]!.standardError;
      // Sampling tolerance: the sample correlation of 2000 pairs has sd about 0.011.
      expect(ratio).toBeGreaterThan(target - 0.04);
      expect(ratio).toBeLessThan(target + 0.04);
    });
  });

  it('reduces the variance of the estimated difference across replicated experiments', () => {
    const rho = 0.7;
    const plainDiffs: number[] = [];
    const cupedDiffs: number[] = [];
    for (let rep = 0; rep < 300; rep++) {
      const raw = simulate(1000 + rep, [300, 300], [0, 0], rho);
      const cuped = proxyPosterior(raw.map((r) => accumulate(r)));
      plainDiffs.push(mean(raw[1]!.y) - mean(raw[0]!.y));
      cupedDiffs.push(cuped.variants[1]!.mean - cuped.variants[0]!.mean);
    }
    const ratio = covariance(cupedDiffs, cupedDiffs) / covariance(plainDiffs, plainDiffs);
    // Theory: 1 - rho^2 = 0.51; 300 replicates give a ratio within about +/- 0.08.
    expect(ratio).toBeGreaterThan(0.41);
    expect(ratio).toBeLessThan(0.61);
  });

  it('handles Y = X + a variant constant: zero adjusted variance, pooled standard error', () => {
    const normal = normalGenerator(8);
    const x = Array.from({ length: 30 }, () => normal());
    // The same X in both variants, so cov(X, variant) = 0 and theta = 1 exactly in theory.
    const raw = [0, 0.2].map((effect, v) => ({ key: `v${v}`, x, y: x.map((xi) => xi + effect) }));
    const accumulators = raw.map((r) => accumulate(r));
    const adjusted = cupedAdjust(accumulators);
    expect(adjusted.theta).toBeCloseTo(1, 12);
    for (const v of adjusted.variants) expect(v.variance).toBe(0);

    const posterior = proxyPosterior(accumulators);
    // Adjusted scores are 0 + mean(X) in v0 and 0.2 + mean(X) in v1: pooled sd (ddof = 1) of
    // 30 copies of each of two values 0.2 apart is 0.1 * sqrt(60 / 59).
    const sdPooled = 0.1 * Math.sqrt(60 / 59);
    for (const v of posterior.variants) {
      expect(v.standardErrorSource).toBe('pooled');
      expect(v.standardError).toBeCloseTo(sdPooled / Math.sqrt(30), 10);
    }
    expect(posterior.variants[1]!.mean - posterior.variants[0]!.mean).toBeCloseTo(0.2, 10);
    expect(Number.isFinite(posterior.variants[0]!.pBest)).toBe(true);
    expect(posterior.variants[1]!.pBest).toBeGreaterThan(posterior.variants[0]!.pBest);
  });
});
