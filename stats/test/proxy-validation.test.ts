import { describe, expect, it } from 'vitest';
import {
  addProxyObservation,
  type CalibrationVisitor,
  calibrateProxy,
  emptyProxyAccumulator,
  normalProbabilityBest,
  type ProxyAccumulator,
  proxyPosterior,
  proxyScore,
} from '../src/proxy/index.js';
import { fieldOf } from './support/field-of.js';

const good = { scrollDepth: 0.5, activeSeconds: 10, clicks: 2, formStarted: 0 };
const visitors = (count: number): CalibrationVisitor[] =>
  Array.from({ length: count }, (_, i) => ({
    features: { ...good, clicks: i % 3 },
    converted: i === 0,
  }));
/** Replaces one visitor's features with a deliberately invalid (untyped) object. */
const withBad = (index: number, patch: Record<string, unknown>) => {
  const list: unknown[] = visitors(5);
  list[index] = { features: { ...good, ...patch }, converted: false };
  return list as CalibrationVisitor[];
};

describe('calibrateProxy validation', () => {
  it('names the offending feature with its path', () => {
    expect(fieldOf(() => calibrateProxy(withBad(3, { scrollDepth: 1.5 })))).toBe(
      'visitors[3].features.scrollDepth',
    );
    expect(fieldOf(() => calibrateProxy(withBad(1, { activeSeconds: -1 })))).toBe(
      'visitors[1].features.activeSeconds',
    );
    expect(fieldOf(() => calibrateProxy(withBad(2, { clicks: 2.5 })))).toBe(
      'visitors[2].features.clicks',
    );
    expect(fieldOf(() => calibrateProxy(withBad(0, { formStarted: 2 })))).toBe(
      'visitors[0].features.formStarted',
    );
    expect(fieldOf(() => calibrateProxy(withBad(4, { fieldsTouched: Number.NaN })))).toBe(
      'visitors[4].features.fieldsTouched',
    );
    expect(fieldOf(() => calibrateProxy(withBad(4, { scrollDepth: undefined })))).toBe(
      'visitors[4].features.scrollDepth',
    );
  });

  it('rejects other malformed input', () => {
    expect(fieldOf(() => calibrateProxy([]))).toBe('visitors');
    const notBoolean = [...visitors(3), { features: good, converted: 1 }] as unknown[];
    expect(fieldOf(() => calibrateProxy(notBoolean as CalibrationVisitor[]))).toBe(
      'visitors[3].converted',
    );
    // fieldsTouched on some visitors but not all.
    expect(fieldOf(() => calibrateProxy(withBad(2, { fieldsTouched: 3 })))).toBe(
      'visitors[2].features.fieldsTouched',
    );
    expect(fieldOf(() => calibrateProxy(visitors(5), { minVisitorsForOls: -1 }))).toBe(
      'options.minVisitorsForOls',
    );
  });
});

describe('proxyScore validation', () => {
  const calibration = calibrateProxy(visitors(5));
  it('names the feature or the calibration field', () => {
    expect(fieldOf(() => proxyScore({ ...good, scrollDepth: -0.1 }, calibration))).toBe(
      'features.scrollDepth',
    );
    const broken = {
      ...calibration,
      features: calibration.features.map((f, k) => (k === 1 ? { ...f, sd: -1 } : f)),
    };
    expect(fieldOf(() => proxyScore(good, broken))).toBe('calibration.features[1].sd');
    const withFields = calibrateProxy(
      visitors(5).map((v, i) => ({ ...v, features: { ...v.features, fieldsTouched: i } })),
    );
    expect(fieldOf(() => proxyScore(good, withFields))).toBe('features.fieldsTouched');
    expect(
      fieldOf(() => proxyScore(good, { ...calibration, weightsSource: 'magic' as 'ols' })),
    ).toBe('calibration.weightsSource');
  });
});

describe('accumulator and posterior validation', () => {
  const a: ProxyAccumulator = { key: 'a', n: 10, sumY: 1, sumY2: 2 };
  const b: ProxyAccumulator = { key: 'b', n: 10, sumY: 2, sumY2: 3 };

  it('names the variant field', () => {
    expect(fieldOf(() => proxyPosterior([a]))).toBe('variants');
    expect(fieldOf(() => proxyPosterior([a, { ...b, n: -1 }]))).toBe('variants[1].n');
    expect(fieldOf(() => proxyPosterior([a, { ...b, n: 2.5 }]))).toBe('variants[1].n');
    expect(fieldOf(() => proxyPosterior([{ ...a, sumY: Number.NaN }, b]))).toBe('variants[0].sumY');
    // sumY2 smaller than sumY^2 / n is impossible.
    expect(fieldOf(() => proxyPosterior([a, { ...b, sumY2: 0.1 }]))).toBe('variants[1].sumY2');
    expect(fieldOf(() => proxyPosterior([a, { ...b, sumX: 1, sumXY: 0 }]))).toBe(
      'variants[1].sumX2',
    );
    expect(fieldOf(() => proxyPosterior([a, { ...b, key: 'a' }]))).toBe('variants[1].key');
    expect(fieldOf(() => proxyPosterior([a, { key: 'b', n: 0, sumY: 1, sumY2: 1 }]))).toBe(
      'variants[1].sumY',
    );
  });

  it('rejects non-finite observations and mixed covariate use', () => {
    const acc = emptyProxyAccumulator('a');
    expect(fieldOf(() => addProxyObservation(acc, Number.NaN))).toBe('y');
    expect(fieldOf(() => addProxyObservation(acc, 1, Number.POSITIVE_INFINITY))).toBe('x');
    expect(fieldOf(() => addProxyObservation(addProxyObservation(acc, 1, 0), 1))).toBe('x');
    expect(fieldOf(() => addProxyObservation(addProxyObservation(acc, 1), 1, 0))).toBe('x');
  });

  it('validates normalProbabilityBest input', () => {
    expect(fieldOf(() => normalProbabilityBest([0], [1]))).toBe('means');
    expect(fieldOf(() => normalProbabilityBest([0, 1], [1]))).toBe('standardErrors');
    expect(fieldOf(() => normalProbabilityBest([0, 1], [1, -1]))).toBe('standardErrors[1]');
    expect(fieldOf(() => normalProbabilityBest([0, Number.NaN], [1, 1]))).toBe('means[1]');
  });
});
