import { describe, expect, it } from 'vitest';
import { gaussLegendre } from '../src/gauss-legendre.js';

describe('gaussLegendre', () => {
  it('integrates polynomials of degree 2m - 1 exactly', () => {
    for (const m of [2, 5, 8, 12]) {
      const rule = gaussLegendre(m);
      for (let degree = 0; degree <= 2 * m - 1; degree++) {
        let sum = 0;
        for (let k = 0; k < m; k++) sum += rule.weights[k]! * rule.nodes[k]! ** degree;
        const exact = degree % 2 === 1 ? 0 : 2 / (degree + 1);
        expect(sum).toBeCloseTo(exact, 13);
      }
    }
  });

  it('gives running integrals at the nodes through its integration matrix', () => {
    const m = 8;
    const rule = gaussLegendre(m);
    const runningIntegral = (f: (t: number) => number, i: number) => {
      let sum = 0;
      for (let k = 0; k < m; k++) sum += rule.integration[i * m + k]! * f(rule.nodes[k]!);
      return sum;
    };
    for (let i = 0; i < m; i++) {
      const t = rule.nodes[i]!;
      // Exact for degree < m: int_{-1}^{t} s^7 ds = (t^8 - 1) / 8.
      expect(runningIntegral((s) => s ** 7, i)).toBeCloseTo((t ** 8 - 1) / 8, 13);
      // exp is interpolated by a degree-7 polynomial: error below e / 8! * 2^-7 ~ 5e-7.
      expect(Math.abs(runningIntegral(Math.exp, i) - (Math.exp(t) - Math.exp(-1)))).toBeLessThan(
        5e-7,
      );
    }
  });

  it('rejects unsupported sizes', () => {
    expect(() => gaussLegendre(1)).toThrow(RangeError);
    expect(() => gaussLegendre(2.5)).toThrow(RangeError);
  });
});
