/**
 * Globally adaptive Gauss-Kronrod (G7-K15) quadrature of a vector-valued integrand, for the
 * test references only.
 *
 * Nodes and weights are QUADPACK's qk15 (Piessens, de Doncker-Kapenga, Ueberhuber & Kahaner,
 * "QUADPACK", Springer 1983, routine QK15). The strategy is QUADPACK's QAG: keep a list of
 * segments, each with its K15 estimate and the error estimate |K15 - G7| (the maximum over the
 * vector's components), and bisect the segment with the largest error until the summed error
 * estimate is below the tolerance. |K15 - G7| is the error of the 7-point rule, so it grossly
 * overstates the error of the K15 value that is kept: the stated tolerance is conservative.
 */

/**
 * Kronrod abscissae on [-1, 1] (non-negative half, descending); odd indices are Gauss nodes.
 * QUADPACK lists 33 digits; these are those values rounded to the nearest double.
 */
export const KRONROD_NODES = [
  0.9914553711208126, 0.9491079123427585, 0.8648644233597691, 0.7415311855993945,
  0.5860872354676911, 0.4058451513773972, 0.20778495500789848, 0,
];

/** Kronrod weights matching KRONROD_NODES. */
export const KRONROD_WEIGHTS = [
  0.022935322010529224, 0.06309209262997856, 0.10479001032225019, 0.14065325971552592,
  0.1690047266392679, 0.19035057806478542, 0.20443294007529889, 0.20948214108472782,
];

/** 7-point Gauss weights for KRONROD_NODES[1], [3], [5] and [7] (the centre). */
export const GAUSS_WEIGHTS = [
  0.1294849661688697, 0.27970539148927664, 0.3818300505051189, 0.4179591836734694,
];

interface Segment {
  readonly a: number;
  readonly b: number;
  readonly value: number[];
  readonly error: number;
}

/** One K15 / G7 pair over [a, b] for an integrand returning `dimension` values. */
function kronrodSegment(
  f: (x: number) => number[],
  a: number,
  b: number,
  dimension: number,
): Segment {
  const centre = 0.5 * (a + b);
  const halfLength = 0.5 * (b - a);
  const kronrod = new Array<number>(dimension).fill(0);
  const gauss = new Array<number>(dimension).fill(0);
  const add = (values: number[], kw: number, gw: number) => {
    for (let k = 0; k < dimension; k++) {
      const v = values[k]!;
      kronrod[k]! += kw * v;
      gauss[k]! += gw * v;
    }
  };
  add(f(centre), KRONROD_WEIGHTS[7]!, GAUSS_WEIGHTS[3]!);
  for (let j = 0; j < 7; j++) {
    const dx = halfLength * KRONROD_NODES[j]!;
    const gw = j % 2 === 1 ? GAUSS_WEIGHTS[(j - 1) / 2]! : 0;
    add(f(centre - dx), KRONROD_WEIGHTS[j]!, gw);
    add(f(centre + dx), KRONROD_WEIGHTS[j]!, gw);
  }
  let error = 0;
  const value = kronrod.map((v, k) => {
    error = Math.max(error, Math.abs((v - gauss[k]!) * halfLength));
    return v * halfLength;
  });
  if (!Number.isFinite(error)) {
    throw new Error(`non-finite integrand on [${a}, ${b}]`);
  }
  return { a, b, value, error };
}

export interface QuadratureOptions {
  /** Target for the summed error estimate (absolute, per component). */
  readonly absoluteTolerance: number;
  /** Give up (throw) after this many bisections. */
  readonly maxSubdivisions?: number;
}

export interface QuadratureResult {
  readonly value: number[];
  /** Summed |K15 - G7| error estimate at the end (a conservative bound in practice). */
  readonly errorEstimate: number;
}

/**
 * Integral of the vector integrand f over [points[0], points[last]], with the interval split at
 * every given point first (put breakpoints where the integrand has kinks, peaks or changes of
 * scale). Throws if the tolerance is not reached: a reference must not return a silent guess.
 */
export function integrateAdaptive(
  f: (x: number) => number[],
  points: readonly number[],
  dimension: number,
  options: QuadratureOptions,
): QuadratureResult {
  const maxSubdivisions = options.maxSubdivisions ?? 20_000;
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    if (b > a) segments.push(kronrodSegment(f, a, b, dimension));
  }
  let totalError = segments.reduce((sum, s) => sum + s.error, 0);
  for (let n = 0; totalError > options.absoluteTolerance; n++) {
    if (n >= maxSubdivisions) {
      throw new Error(`integrateAdaptive: error estimate ${totalError} after ${n} subdivisions`);
    }
    let worst = 0;
    for (let i = 1; i < segments.length; i++) {
      if (segments[i]!.error > segments[worst]!.error) worst = i;
    }
    const s = segments[worst]!;
    const mid = 0.5 * (s.a + s.b);
    if (!(mid > s.a && mid < s.b)) {
      throw new Error(`integrateAdaptive: cannot split [${s.a}, ${s.b}] (error ${s.error})`);
    }
    const left = kronrodSegment(f, s.a, mid, dimension);
    const right = kronrodSegment(f, mid, s.b, dimension);
    segments.splice(worst, 1, left, right);
    totalError = segments.reduce((sum, seg) => sum + seg.error, 0);
  }
  const value = new Array<number>(dimension).fill(0);
  for (const s of segments) for (let k = 0; k < dimension; k++) value[k]! += s.value[k]!;
  return { value, errorEstimate: totalError };
}
