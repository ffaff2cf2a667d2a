/**
 * Gauss-Legendre rules on [-1, 1] with the integration matrix that gives a density's running
 * integral (a CDF) at the nodes of a panel.
 *
 * Source: Golub and Welsch (1969) for the rule; the spectral integration matrix follows
 * Greengard (1991), "Spectral integration and two-point boundary value problems", section 2,
 * using the Legendre antiderivative identity  int_{-1}^t P_n = (P_{n+1}(t) - P_{n-1}(t)) / (2n+1).
 */
export interface GaussLegendreRule {
  /** Number of nodes m. */
  readonly size: number;
  /** Nodes t_1 < ... < t_m in (-1, 1). */
  readonly nodes: Float64Array;
  /** Weights w_k, summing to 2. */
  readonly weights: Float64Array;
  /**
   * Integration matrix, row-major m x m: sum_k S[i*m + k] * f(t_k) approximates
   * int_{-1}^{t_i} f(t) dt (exact for polynomials of degree < m).
   */
  readonly integration: Float64Array;
}

/** Legendre polynomials P_0..P_maxDegree at t by the three-term recurrence. */
function legendreValues(t: number, maxDegree: number): Float64Array {
  const p = new Float64Array(maxDegree + 1);
  p[0] = 1;
  if (maxDegree >= 1) p[1] = t;
  for (let n = 1; n < maxDegree; n++) {
    p[n + 1] = ((2 * n + 1) * t * p[n]! - n * p[n - 1]!) / (n + 1);
  }
  return p;
}

const cache = new Map<number, GaussLegendreRule>();

/**
 * The m-point Gauss-Legendre rule (exact for polynomials of degree <= 2m - 1) with its
 * integration matrix. Computed once per m by Newton iteration on
 * P_m and cached. O(m^2) time on first use, O(1) afterwards.
 *
 * @throws RangeError when m is not an integer in [2, 64].
 */
export function gaussLegendre(m: number): GaussLegendreRule {
  const cached = cache.get(m);
  if (cached) return cached;
  if (!Number.isInteger(m) || m < 2 || m > 64) {
    throw new RangeError(`gaussLegendre: m must be an integer in [2, 64], got ${m}`);
  }
  const nodes = new Float64Array(m);
  const weights = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    // Tricomi's initial guess, then Newton on P_m.
    let t = -Math.cos((Math.PI * (i + 0.75)) / (m + 0.5));
    let derivative = 1;
    for (let iter = 0; iter < 100; iter++) {
      const p = legendreValues(t, m);
      derivative = (m * (t * p[m]! - p[m - 1]!)) / (t * t - 1);
      const step = p[m]! / derivative;
      t -= step;
      if (Math.abs(step) < 1e-16) break;
    }
    const p = legendreValues(t, m);
    derivative = (m * (t * p[m]! - p[m - 1]!)) / (t * t - 1);
    nodes[i] = t;
    weights[i] = 2 / ((1 - t * t) * derivative * derivative);
  }

  // Lagrange basis l_k = sum_n c_nk P_n with c_nk = w_k P_n(t_k) (2n + 1) / 2 (discrete
  // orthogonality of the rule), integrated term by term.
  const atNodes = Array.from(nodes, (t) => legendreValues(t, m));
  const integration = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ti = nodes[i]!;
    const pi = atNodes[i]!;
    for (let k = 0; k < m; k++) {
      const pk = atNodes[k]!;
      let sum = (ti + 1) / 2;
      for (let n = 1; n < m; n++) sum += (pk[n]! * (pi[n + 1]! - pi[n - 1]!)) / 2;
      integration[i * m + k] = weights[k]! * sum;
    }
  }

  const rule = { size: m, nodes, weights, integration };
  cache.set(m, rule);
  return rule;
}
