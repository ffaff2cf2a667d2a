import { describe, expect, it } from 'vitest';
import {
  type CalibrationVisitor,
  calibrateProxy,
  minimumNormLeastSquares,
  type ProxyFeatures,
  percentileLinear,
  proxyScore,
  winsorize,
} from '../src/proxy/index.js';
import { mulberry32 } from './support/mulberry32.js';

function sampleSd(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return Math.sqrt(ss / (values.length - 1));
}

/** Solves the normal equations (A^T A) b = A^T y by Gaussian elimination with partial pivoting. */
function normalEquations(rows: number[][], y: number[]): number[] {
  const p = rows[0]!.length;
  const m = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p + 1 }, (_, j) =>
      rows.reduce((s, row, r) => s + row[i]! * (j < p ? row[j]! : y[r]!), 0),
    ),
  );
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = c + 1; r < p; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let j = c; j <= p; j++) m[r]![j] = m[r]![j]! - f * m[c]![j]!;
    }
  }
  const b = new Array<number>(p).fill(0);
  for (let r = p - 1; r >= 0; r--) {
    let s = m[r]![p]!;
    for (let j = r + 1; j < p; j++) s -= m[r]![j]! * b[j]!;
    b[r] = s / m[r]![r]!;
  }
  return b;
}

describe('percentileLinear and winsorize (numpy linear definition)', () => {
  it('matches hand-computed percentiles', () => {
    const x = [1, 2, 3, 4, 100];
    // h = (n - 1) p: p = 0.01 -> h = 0.04 -> 1 + 0.04 * (2 - 1); p = 0.99 -> h = 3.96 -> 4 + 0.96 * 96.
    expect(percentileLinear(x, 0.01)).toBeCloseTo(1.04, 14);
    expect(percentileLinear(x, 0.99)).toBeCloseTo(96.16, 12);
    expect(percentileLinear(x, 0.5)).toBe(3);
    expect(percentileLinear(x, 0)).toBe(1);
    expect(percentileLinear(x, 1)).toBe(100);
    // numpy.percentile([10, 20, 30, 40], 25) = 17.5.
    expect(percentileLinear([10, 20, 30, 40], 0.25)).toBeCloseTo(17.5, 14);
    expect(percentileLinear([7], 0.99)).toBe(7);
  });

  it('clamps to the caps', () => {
    expect(winsorize(120, 1.04, 96.16)).toBe(96.16);
    expect(winsorize(0.5, 1.04, 96.16)).toBe(1.04);
    expect(winsorize(50, 1.04, 96.16)).toBe(50);
  });
});

describe('calibrateProxy on a hand-computed data set', () => {
  const features: ProxyFeatures[] = [
    { scrollDepth: 0.1, activeSeconds: 1, clicks: 0, formStarted: 0 },
    { scrollDepth: 0.5, activeSeconds: 2, clicks: 0, formStarted: 0 },
    { scrollDepth: 0.5, activeSeconds: 3, clicks: 1, formStarted: 0 },
    { scrollDepth: 0.9, activeSeconds: 4, clicks: 2, formStarted: 1 },
    { scrollDepth: 1.0, activeSeconds: 100, clicks: 10, formStarted: 1 },
  ];
  const visitors = features.map((f, i) => ({ features: f, converted: i === 4 }));
  const calibration = calibrateProxy(visitors);

  // Winsorized values, by hand: caps at h = 0.04 and h = 3.96 between order statistics.
  const expected = {
    scrollDepth: { lo: 0.116, hi: 0.996, w: [0.116, 0.5, 0.5, 0.9, 0.996] },
    activeSeconds: { lo: 1.04, hi: 96.16, w: [1.04, 2, 3, 4, 96.16] },
    clicks: { lo: 0, hi: 9.68, w: [0, 0, 1, 2, 9.68] },
    formStarted: { lo: 0, hi: 1, w: [0, 0, 0, 1, 1] },
  };

  it('stores caps, means and sds (ddof = 1) of the winsorized features, equal weights', () => {
    expect(calibration.weightsSource).toBe('equal');
    expect(calibration.intercept).toBeNull();
    expect(calibration.visitors).toBe(5);
    expect(calibration.conversions).toBe(1);
    expect(calibration.features.map((f) => f.name)).toEqual(Object.keys(expected));
    for (const f of calibration.features) {
      const e = expected[f.name as keyof typeof expected];
      expect(f.lowerCap).toBeCloseTo(e.lo, 12);
      expect(f.upperCap).toBeCloseTo(e.hi, 12);
      expect(f.mean).toBeCloseTo(e.w.reduce((s, v) => s + v, 0) / 5, 12);
      expect(f.sd).toBeCloseTo(sampleSd(e.w), 12);
      expect(f.weight).toBe(0.25);
    }
    // activeSeconds by hand: mean = 106.2 / 5 = 21.24.
    expect(calibration.features[1]!.mean).toBeCloseTo(21.24, 12);
  });

  it('scores a new visitor with the stored caps: s = sum w_k z_k', () => {
    const visitor = { scrollDepth: 0.05, activeSeconds: 500, clicks: 3, formStarted: 1 };
    const values = { scrollDepth: 0.116, activeSeconds: 96.16, clicks: 3, formStarted: 1 };
    let expectedScore = 0;
    for (const [name, e] of Object.entries(expected)) {
      const mean = e.w.reduce((s, v) => s + v, 0) / 5;
      expectedScore += 0.25 * ((values[name as keyof typeof values] - mean) / sampleSd(e.w));
    }
    expect(proxyScore(visitor, calibration)).toBeCloseTo(expectedScore, 12);
    // Winsorized first: any activeSeconds above the cap scores the same.
    expect(proxyScore({ ...visitor, activeSeconds: 2e6 }, calibration)).toBe(
      proxyScore({ ...visitor, activeSeconds: 96.16 }, calibration),
    );
  });

  it('is plain JSON: a stored and reloaded calibration scores identically', () => {
    const reloaded = JSON.parse(JSON.stringify(calibration));
    const visitor = { scrollDepth: 0.7, activeSeconds: 12, clicks: 1, formStarted: 0 };
    expect(proxyScore(visitor, reloaded)).toBe(proxyScore(visitor, calibration));
  });

  it('gives a constant feature sd 0 so that it contributes 0', () => {
    const flat = calibrateProxy(
      features.map((f) => ({ features: { ...f, clicks: 4 }, converted: false })),
    );
    const clicks = flat.features.find((f) => f.name === 'clicks')!;
    expect(clicks.sd).toBe(0);
    const base = { scrollDepth: 0.5, activeSeconds: 3, formStarted: 0 };
    expect(proxyScore({ ...base, clicks: 0 }, flat)).toBe(
      proxyScore({ ...base, clicks: 99 }, flat),
    );
    // A single visitor: every sd is 0 and every score is 0.
    const single = calibrateProxy([visitors[0]!]);
    expect(proxyScore(features[4]!, single)).toBe(0);
  });

  it('includes fieldsTouched only when every visitor reports it', () => {
    const withFields = calibrateProxy(
      features.map((f, i) => ({ features: { ...f, fieldsTouched: i }, converted: false })),
    );
    expect(withFields.features.map((f) => f.name)).toContain('fieldsTouched');
    expect(withFields.features.every((f) => f.weight === 0.2)).toBe(true);
    expect(calibration.features.map((f) => f.name)).not.toContain('fieldsTouched');
  });
});

describe('minimumNormLeastSquares (as numpy.linalg.lstsq)', () => {
  const x = [0, 1, 2, 3];
  const y = [1, 0, 1, 1];
  // By hand: xbar = 1.5, ybar = 0.75, Sxy = 0.5, Sxx = 5 -> slope 0.1, intercept 0.6.
  it('solves a full-rank regression', () => {
    const { coefficients, rank } = minimumNormLeastSquares(
      x.map((v) => [1, v]),
      y,
    );
    expect(rank).toBe(2);
    expect(coefficients[0]).toBeCloseTo(0.6, 13);
    expect(coefficients[1]).toBeCloseTo(0.1, 13);
  });

  it('splits the coefficient of a duplicated column equally, and zeroes a null column', () => {
    const dup = minimumNormLeastSquares(
      x.map((v) => [1, v, v]),
      y,
    );
    expect(dup.rank).toBe(2);
    expect(dup.coefficients[0]).toBeCloseTo(0.6, 13);
    expect(dup.coefficients[1]).toBeCloseTo(0.05, 13);
    expect(dup.coefficients[2]).toBeCloseTo(0.05, 13);
    const zero = minimumNormLeastSquares(
      x.map((v) => [1, v, 0]),
      y,
    );
    expect(zero.coefficients).toEqual([
      expect.closeTo(0.6, 13),
      expect.closeTo(0.1, 13),
      expect.closeTo(0, 13),
    ]);
    // A scaled copy: columns v and 2v; min-norm puts b1 + 2 b2 = 0.1 with b2 = 2 b1.
    const scaled = minimumNormLeastSquares(
      x.map((v) => [1, v, 2 * v]),
      y,
    );
    expect(scaled.coefficients[1]).toBeCloseTo(0.02, 13);
    expect(scaled.coefficients[2]).toBeCloseTo(0.04, 13);
  });
});

describe('calibrateProxy OLS weights', () => {
  /** 400 seeded visitors; y = formStarted exactly, roughly 30% of them. */
  function dataset(seed: number, fields: 'none' | 'copy'): CalibrationVisitor[] {
    const rand = mulberry32(seed);
    return Array.from({ length: 400 }, () => {
      const formStarted = rand() < 0.3 ? 1 : 0;
      const features: ProxyFeatures = {
        scrollDepth: rand(),
        activeSeconds: 200 * rand() ** 2,
        clicks: Math.floor(8 * rand()),
        formStarted,
        ...(fields === 'copy' ? { fieldsTouched: formStarted } : {}),
      };
      return { features, converted: formStarted === 1 };
    });
  }

  it('recovers exact coefficients when conversion is a linear function of one feature', () => {
    // conversion = formStarted = mean + sd * z_form, so OLS gives w_form = sd, other w = 0,
    // intercept = mean (the share who started a form).
    const visitors = dataset(7, 'none');
    const started = visitors.map((v) => v.features.formStarted);
    const share = started.reduce((s, v) => s + v, 0) / started.length;
    const calibration = calibrateProxy(visitors);
    expect(calibration.weightsSource).toBe('ols');
    expect(calibration.conversions).toBe(started.filter((v) => v === 1).length);
    expect(calibration.intercept).toBeCloseTo(share, 10);
    const weights = Object.fromEntries(calibration.features.map((f) => [f.name, f.weight]));
    expect(weights.formStarted).toBeCloseTo(sampleSd(started), 10);
    expect(weights.scrollDepth).toBeCloseTo(0, 10);
    expect(weights.activeSeconds).toBeCloseTo(0, 10);
    expect(weights.clicks).toBeCloseTo(0, 10);
  });

  it('splits the weight equally between duplicate features (minimum norm)', () => {
    const visitors = dataset(11, 'copy');
    const sd = sampleSd(visitors.map((v) => v.features.formStarted));
    const calibration = calibrateProxy(visitors);
    const weights = Object.fromEntries(calibration.features.map((f) => [f.name, f.weight]));
    expect(weights.formStarted).toBeCloseTo(sd / 2, 9);
    expect(weights.fieldsTouched).toBeCloseTo(sd / 2, 9);
    expect(weights.clicks).toBeCloseTo(0, 9);
  });

  it('agrees with the normal equations on noisy data', () => {
    const rand = mulberry32(2024);
    const visitors = Array.from({ length: 500 }, () => {
      const features = {
        scrollDepth: rand(),
        activeSeconds: -30 * Math.log(1 - rand()),
        clicks: Math.floor(6 * rand()),
        formStarted: rand() < 0.2 ? 1 : 0,
      };
      const p = 0.02 + 0.05 * features.scrollDepth + 0.15 * features.formStarted;
      return { features, converted: rand() < p };
    });
    const calibration = calibrateProxy(visitors);
    expect(calibration.weightsSource).toBe('ols');
    // Design from the stored caps, means and sds (checked above), built independently here.
    const rows = visitors.map((v) => [
      1,
      ...calibration.features.map((f) => {
        const raw = v.features[f.name as keyof typeof v.features];
        return (Math.min(Math.max(raw, f.lowerCap), f.upperCap) - f.mean) / f.sd;
      }),
    ]);
    const beta = normalEquations(
      rows,
      visitors.map((v) => (v.converted ? 1 : 0)),
    );
    expect(calibration.intercept).toBeCloseTo(beta[0]!, 10);
    calibration.features.forEach((f, k) => {
      expect(f.weight).toBeCloseTo(beta[k + 1]!, 10);
    });
  });

  it('uses equal weights below 200 visitors or 10 conversions, or on request', () => {
    const visitors = dataset(7, 'none');
    const converting = visitors.filter((v) => v.converted);
    const rest = visitors.filter((v) => !v.converted);
    const n199 = [...converting.slice(0, 20), ...rest.slice(0, 179)];
    expect(calibrateProxy(n199).weightsSource).toBe('equal');
    expect(calibrateProxy([...n199, rest[179]!]).weightsSource).toBe('ols');
    const c9 = [...converting.slice(0, 9), ...rest.slice(0, 191)];
    expect(calibrateProxy(c9).weightsSource).toBe('equal');
    expect(calibrateProxy([...c9.slice(1), converting[9]!, converting[10]!]).weightsSource).toBe(
      'ols',
    );
    expect(calibrateProxy(visitors, { weights: 'equal' }).weightsSource).toBe('equal');
    const allConverted = visitors.map((v) => ({ ...v, converted: true }));
    expect(calibrateProxy(allConverted).weightsSource).toBe('equal');
  });
});
