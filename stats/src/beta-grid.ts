/**
 * Tabulates K Beta posteriors on one shared quadrature grid so that probability to be best,
 * expected loss, credible intervals and difference distributions all come from the same numbers.
 *
 * The grid lives on the logit scale y = ln(x / (1 - x)). There a Beta(a, b) density becomes
 *   g(y) = exp(a y - (a + b) ln(1 + e^y)) / B(a, b),
 * which is smooth, bell-shaped and log-concave for every a, b > 0 (its second log-derivative is
 * -(a + b) x (1 - x) < 0), with no singularity at x = 0 or 1 even when a or b is below 1. Its mode
 * is ln(a / b) and its Laplace scale is sqrt((a + b) / (a b)). Each arm is covered from the point
 * where its log-density has fallen DROP below the mode on the left to the same point on the
 * right; the union is split into Gauss-Legendre panels no wider than PANEL_WIDTH scales of the
 * narrowest arm present, so a peaked posterior (n = 1,000,000) and a wide one (n = 20) are both
 * resolved. CDFs are running integrals of the same densities (spectral integration matrix),
 * normalised by the computed total mass, which removes the need for B(a, b) and its rounding at
 * the million scale.
 *
 * Sources: Gauss-Legendre quadrature and spectral integration, see gauss-legendre.ts; the logit
 * change of variable for Beta integrals follows MacKay (1998), "Choice of basis for Laplace
 * approximation", Machine Learning 33, section 3.
 */
import { type GaussLegendreRule, gaussLegendre } from './gauss-legendre.js';
import type { BetaParams } from './types.js';

/** Nodes per panel. */
const NODES = 8;
/** Log-density drop (natural log units) that bounds each arm: e^-26 is about 5e-12. */
const DROP = 26;
/** Beyond this drop an arm's tail holds under 1e-5 of its mass and coarser panels suffice. */
const CORE_DROP = 12;
/** How much wider tail panels may be than core panels. */
const TAIL_STRETCH = 3;
/** Widest panel, in local scales (1 / sqrt of the log-density's curvature) of the arms there. */
const PANEL_WIDTH = 3;
/**
 * Widest panel relative to its distance from y = +-i pi: every density here has poles there
 * (those of 1 + e^y), and a panel much wider than its distance to them would leave the
 * polynomial approximation of wide posteriors (n below about 20) too coarse near x = 0.5.
 */
const POLE_FACTOR = 0.5;

/** ln(1 + e^-|y|), the part of ln(1 + e^y) that is not max(y, 0). */
function log1pExpAbs(y: number): number {
  return Math.log1p(Math.exp(-Math.abs(y)));
}

/** Logistic function 1 / (1 + e^-y). */
export function logistic(y: number): number {
  return y >= 0 ? 1 / (1 + Math.exp(-y)) : Math.exp(y) / (1 + Math.exp(y));
}

/** One arm's shape on the logit scale. */
export interface ArmShape {
  readonly alpha: number;
  readonly total: number;
  readonly mode: number;
  /** ln(1 + e^-|mode|). */
  readonly modeLog1p: number;
  readonly scale: number;
  readonly lo: number;
  readonly hi: number;
  readonly coreLo: number;
  readonly coreHi: number;
}

/**
 * Log-density of the logit of Beta(a, b) at y, relative to its value at the mode, from
 * `log1p` = ln(1 + e^-|y|). With ln(1 + e^y) = max(y, 0) + ln(1 + e^-|y|) it equals
 *   a (y - m) - (a + b) (ln(1 + e^y) - ln(1 + e^m))      for a mode m <= 0, and
 *   -b (y - m) - (a + b) (ln(1 + e^-y) - ln(1 + e^-m))   for m > 0 (the same, mirrored),
 * so the large terms never cancel: near a rate of 1, ln(1 + e^y) is about y, and (a + b) times
 * its rounding error would swamp the result at a billion visitors.
 */
function relativeLogDensity(arm: ArmShape, y: number, log1p: number): number {
  if (arm.mode <= 0) {
    return arm.alpha * (y - arm.mode) - arm.total * (Math.max(y, 0) + log1p - arm.modeLog1p);
  }
  const beta = arm.total - arm.alpha;
  return -beta * (y - arm.mode) - arm.total * (Math.max(-y, 0) + log1p - arm.modeLog1p);
}

/**
 * The point on one side of the mode where the log-density has fallen by DROP. Newton's method
 * on a concave function started beyond the root converges monotonically without overshooting.
 */
function tailBound(arm: ArmShape, direction: 1 | -1, drop: number): number {
  // h(y) = log-density relative to the mode + drop, and its slope, from one exponential.
  let h = 0;
  let slope = 0;
  const evaluate = (y: number) => {
    const e = Math.exp(-Math.abs(y));
    h = relativeLogDensity(arm, y, Math.log1p(e)) + drop;
    slope = arm.alpha - arm.total * (y >= 0 ? 1 / (1 + e) : e / (1 + e));
  };
  let step = Math.sqrt(2 * drop) * arm.scale;
  let y = arm.mode + direction * step;
  evaluate(y);
  while (h > 0) {
    step *= 2;
    y = arm.mode + direction * step;
    evaluate(y);
  }
  for (let iter = 0; iter < 60; iter++) {
    const next = y - h / slope;
    if (!Number.isFinite(next)) break;
    // The bound is only an integration limit: a thousandth of a logit unit is plenty.
    const done = Math.abs(next - y) <= 1e-3;
    y = next;
    if (done) break;
    evaluate(y);
  }
  return y;
}

function armShape({ alpha, beta }: BetaParams): ArmShape {
  const mode = Math.log(alpha / beta);
  const shape = {
    alpha,
    total: alpha + beta,
    mode,
    modeLog1p: log1pExpAbs(mode),
    scale: Math.sqrt((alpha + beta) / (alpha * beta)),
    lo: 0,
    hi: 0,
    coreLo: 0,
    coreHi: 0,
  };
  // Filled in place so every shape object keeps one hidden class.
  shape.lo = tailBound(shape, -1, DROP);
  shape.hi = tailBound(shape, 1, DROP);
  shape.coreLo = tailBound(shape, -1, CORE_DROP);
  shape.coreHi = tailBound(shape, 1, CORE_DROP);
  return shape;
}

/**
 * Panel edges over the union of the arms' intervals, walking left to right. The width allowed
 * at y is that of the narrowest arm covering y (PANEL_WIDTH local scales in its core,
 * TAIL_STRETCH times that in its tails), capped by the distance to the poles at +-i pi. A panel that would
 * run into a stretch allowing less stops where that stretch starts, or, when the start is nearer
 * than the narrower width, takes the narrower width from its own start (no slivers).
 */
function panelEdges(shapes: readonly ArmShape[]): number[] {
  // Widest panel starting at `from` and running to `from + reach`: PANEL_WIDTH local scales of
  // every arm covering `from`, the local scale being 1 / sqrt(curvature) with the log-density's
  // curvature -(a + b) x (1 - x) taken where it is largest on the panel, at its point nearest
  // y = 0. At the mode this is the Laplace scale; on the steep side of a skewed posterior
  // (Beta(a, 1): a double-exponential flank) it is much smaller.
  const widthAt = (from: number, reach: number) => {
    const to = from + reach;
    const nearest = from <= 0 && to >= 0 ? 0 : Math.abs(from) < Math.abs(to) ? from : to;
    const x = logistic(nearest);
    const spread = x * (1 - x);
    let width = Number.POSITIVE_INFINITY;
    for (const s of shapes) {
      if (from < s.lo || from >= s.hi) continue;
      const stretch = from >= s.coreLo && from < s.coreHi ? 1 : TAIL_STRETCH;
      width = Math.min(width, (stretch * PANEL_WIDTH) / Math.sqrt(s.total * spread));
    }
    return width;
  };
  const poleLimit = (from: number, to: number) => {
    const nearest = from <= 0 && to >= 0 ? 0 : Math.min(Math.abs(from), Math.abs(to));
    return POLE_FACTOR * Math.sqrt(nearest * nearest + Math.PI * Math.PI);
  };
  const breakpoints = new Float64Array(4 * shapes.length);
  shapes.forEach((s, j) => {
    breakpoints.set([s.lo, s.coreLo, s.coreHi, s.hi], 4 * j);
  });
  breakpoints.sort();
  const end = breakpoints[breakpoints.length - 1]!;
  let at = breakpoints[0]!;
  const edges = [at];
  while (at < end) {
    let width = widthAt(at, 0);
    if (!Number.isFinite(width)) {
      // A gap covered by no arm holds no mass: one panel bridges it.
      at = breakpoints.find((b) => b > at)!;
      edges.push(at);
      continue;
    }
    width = Math.min(width, poleLimit(at, at), end - at);
    // The width allowed over a panel shrinks as the panel reaches nearer y = 0: bisect for the
    // widest panel that its own width allows (at least 1/64 of the first guess).
    if (widthAt(at, width) < width) {
      let fits = width / 64;
      let fails = width;
      for (let i = 0; i < 6; i++) {
        const mid = (fits + fails) / 2;
        if (widthAt(at, mid) >= mid) fits = mid;
        else fails = mid;
      }
      width = fits;
    }
    // Entering a stretch that needs narrower panels: stop at its start, or take its width
    // from here when that start is closer than its width (no sliver).
    for (const b of breakpoints) {
      if (b > at && b < at + width) width = Math.min(width, Math.max(b - at, widthAt(b, 0)));
    }
    width = Math.min(width, poleLimit(at, at + width));
    const remaining = end - at;
    // Finish with one or two equal panels rather than a sliver.
    at = remaining <= width ? end : remaining <= 1.5 * width ? at + remaining / 2 : at + width;
    edges.push(at);
  }
  return edges;
}

/**
 * K Beta posteriors tabulated on a shared logit-scale grid.
 *
 * Layout: `panelCount` panels of `rule.size` nodes. For arm j and global node index n,
 * `density[j * nodeCount + n]` is the normalised density of y (so sum_n weight[n] * density = 1)
 * and `cdf[j * nodeCount + n]` its CDF; `edgeCdf[j * (panelCount + 1) + p]` is the CDF at the
 * left edge of panel p.
 */
export interface BetaGrid {
  readonly arms: number;
  readonly rule: GaussLegendreRule;
  readonly panelCount: number;
  readonly nodeCount: number;
  /** Left edges of the panels and the right edge of the last, length panelCount + 1. */
  readonly edges: Float64Array;
  /** Node positions on the logit scale. */
  readonly y: Float64Array;
  /** Node positions on the rate scale, logistic(y). */
  readonly x: Float64Array;
  /** Quadrature weights on the logit scale. */
  readonly weight: Float64Array;
  readonly density: Float64Array;
  readonly cdf: Float64Array;
  readonly edgeCdf: Float64Array;
  /** Per arm: the first and last panel index where the arm has mass. */
  readonly firstPanel: Int32Array;
  readonly lastPanel: Int32Array;
  /** Per arm: its logit-scale shape and bounds. */
  readonly shapes: readonly ArmShape[];
  /** Per arm: ln of the integral of exp(relative log-density) over the logit scale. */
  readonly logNormalizer: Float64Array;
}

/**
 * Builds the grid for K >= 1 Beta posteriors. Parameters must already be validated (finite,
 * > 0). Time O(P * m * (K + m)) for P panels of m nodes; P grows with the ratio of the widest
 * arm's logit span to the narrowest arm's scale, typically 6 to 20.
 */
export function buildBetaGrid(posteriors: readonly BetaParams[]): BetaGrid {
  const rule = gaussLegendre(NODES);
  const m = rule.size;
  const integration = rule.integration;
  const shapes = posteriors.map(armShape);
  const arms = shapes.length;

  const edgeList = panelEdges(shapes);
  const panelCount = edgeList.length - 1;
  const nodeCount = panelCount * m;
  // One backing buffer for every table: typed arrays above a few dozen elements are allocated
  // off the V8 heap, and a dozen separate allocations would cost more than the quadrature.
  const buffer = new Float64Array(
    panelCount + 1 + 4 * nodeCount + 2 * arms * nodeCount + arms * (panelCount + 1),
  );
  let offset = 0;
  const take = (length: number) => {
    offset += length;
    return buffer.subarray(offset - length, offset);
  };
  const edges = take(panelCount + 1);
  edges.set(edgeList);
  const y = take(nodeCount);
  const x = take(nodeCount);
  const weight = take(nodeCount);
  const log1pY = take(nodeCount);
  const density = take(arms * nodeCount);
  const cdf = take(arms * nodeCount);
  const edgeCdf = take(arms * (panelCount + 1));
  for (let p = 0; p < panelCount; p++) {
    const half = (edges[p + 1]! - edges[p]!) / 2;
    const centre = (edges[p + 1]! + edges[p]!) / 2;
    for (let k = 0; k < m; k++) {
      const n = p * m + k;
      y[n] = centre + half * rule.nodes[k]!;
      weight[n] = half * rule.weights[k]!;
      // One exponential gives both ln(1 + e^-|y|) and the logistic function.
      const e = Math.exp(-Math.abs(y[n]!));
      log1pY[n] = Math.log1p(e);
      x[n] = y[n]! >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
  }

  const firstPanel = new Int32Array(arms);
  const lastPanel = new Int32Array(arms);
  const logNormalizer = new Float64Array(arms);
  for (let j = 0; j < arms; j++) {
    const s = shapes[j]!;
    const base = j * nodeCount;
    const edgeBase = j * (panelCount + 1);
    let first = -1;
    let last = -1;
    let running = 0;
    for (let p = 0; p < panelCount; p++) {
      edgeCdf[edgeBase + p] = running;
      if (edges[p + 1]! <= s.lo || edges[p]! >= s.hi) {
        for (let k = 0; k < m; k++) cdf[base + p * m + k] = running;
        continue;
      }
      if (first < 0) first = p;
      last = p;
      const half = (edges[p + 1]! - edges[p]!) / 2;
      let panelMass = 0;
      for (let k = 0; k < m; k++) {
        const n = p * m + k;
        const g = Math.exp(relativeLogDensity(s, y[n]!, log1pY[n]!));
        density[base + n] = g;
        panelMass += weight[n]! * g;
      }
      const panelStart = base + p * m;
      for (let i = 0, row = 0; i < m; i++, row += m) {
        let partial = 0;
        for (let k = 0; k < m; k++) partial += integration[row + k]! * density[panelStart + k]!;
        cdf[panelStart + i] = running + half * partial;
      }
      running += panelMass;
    }
    edgeCdf[edgeBase + panelCount] = running;
    const inverse = 1 / running;
    for (let n = 0; n < nodeCount; n++) {
      density[base + n]! *= inverse;
      cdf[base + n] = Math.min(1, Math.max(0, cdf[base + n]! * inverse));
    }
    for (let p = 0; p <= panelCount; p++)
      edgeCdf[edgeBase + p] = Math.min(1, edgeCdf[edgeBase + p]! * inverse);
    firstPanel[j] = first;
    lastPanel[j] = last;
    logNormalizer[j] = Math.log(running);
  }

  return {
    arms,
    rule,
    panelCount,
    nodeCount,
    edges,
    y,
    x,
    weight,
    density,
    cdf,
    edgeCdf,
    firstPanel,
    lastPanel,
    shapes,
    logNormalizer,
  };
}

/** Index of the panel holding logit-scale point y, or -1 left of the grid, panelCount right. */
function findPanel(grid: BetaGrid, y: number): number {
  const { edges, panelCount } = grid;
  if (y < edges[0]!) return -1;
  if (y >= edges[panelCount]!) return panelCount;
  let lo = 0;
  let hi = panelCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Density of arm j on the rate scale at x in (0, 1), from the same normalisation as the grid:
 * f(x) = g(logit x) / (x (1 - x)). Returns 0 outside (0, 1).
 */
export function rateDensity(grid: BetaGrid, j: number, x: number): number {
  if (!(x > 0 && x < 1)) return 0;
  const logX = Math.log(x);
  const log1mX = Math.log1p(-x);
  const y = logX - log1mX;
  // ln(1 + e^-|y|) is -ln(1 - x) for y <= 0 and -ln(x) for y > 0.
  const log1p = y <= 0 ? -log1mX : -logX;
  const relative = relativeLogDensity(grid.shapes[j]!, y, log1p);
  return Math.exp(relative - grid.logNormalizer[j]! - logX - log1mX);
}

/** Normalised logit-scale density of arm j at y. */
function logitDensity(grid: BetaGrid, j: number, y: number): number {
  return Math.exp(relativeLogDensity(grid.shapes[j]!, y, log1pExpAbs(y)) - grid.logNormalizer[j]!);
}

/**
 * CDF of arm j at logit-scale point y inside panel p, to quadrature accuracy (about 1e-12): the
 * CDF at the panel's left edge plus a Gauss-Legendre integral of the exact density from there.
 * O(m) exponentials.
 */
function cdfInPanel(grid: BetaGrid, j: number, p: number, y: number): number {
  if (p < 0) return 0;
  if (p >= grid.panelCount) return 1;
  const { rule, edges } = grid;
  const left = edges[p]!;
  const half = (y - left) / 2;
  let sum = 0;
  for (let k = 0; k < rule.size; k++) {
    sum += rule.weights[k]! * logitDensity(grid, j, left + half * (1 + rule.nodes[k]!));
  }
  return grid.edgeCdf[j * (grid.panelCount + 1) + p]! + half * sum;
}

/**
 * The p-quantile of arm j on the rate scale, 0 < p < 1. The tabulated CDF and density at the
 * nodes give a cubic Hermite interpolant on the logit scale; its root between the two nodes
 * that bracket p starts Newton's method on the CDF computed to quadrature accuracy, which then
 * converges in one or two steps. Absolute error about 1e-12. O(log N + m).
 */
export function quantileOnGrid(grid: BetaGrid, j: number, p: number): number {
  const { nodeCount, rule } = grid;
  const base = j * nodeCount;
  // Nodes n and n + 1 with cdf[n] < p <= cdf[n + 1] (within the arm's panels).
  let lo = grid.firstPanel[j]! * rule.size;
  let hi = (grid.lastPanel[j]! + 1) * rule.size - 1;
  if (grid.cdf[base + lo]! >= p)
    return logistic(
      newtonQuantile(grid, j, p, grid.edges[grid.firstPanel[j]!]!, grid.y[lo]!, grid.y[lo]!),
    );
  if (grid.cdf[base + hi]! < p)
    return logistic(
      newtonQuantile(grid, j, p, grid.y[hi]!, grid.edges[grid.lastPanel[j]! + 1]!, grid.y[hi]!),
    );
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (grid.cdf[base + mid]! < p) lo = mid;
    else hi = mid;
  }
  const y0 = grid.y[lo]!;
  const h = grid.y[hi]! - y0;
  const c0 = grid.cdf[base + lo]!;
  const c1 = grid.cdf[base + hi]!;
  const d0 = grid.density[base + lo]! * h;
  const d1 = grid.density[base + hi]! * h;
  // Newton on the cubic Hermite interpolant in t = (y - y0) / h, from linear interpolation.
  let t = c1 > c0 ? (p - c0) / (c1 - c0) : 0.5;
  for (let iter = 0; iter < 8; iter++) {
    const t2 = t * t;
    const t3 = t2 * t;
    const value =
      (2 * t3 - 3 * t2 + 1) * c0 +
      (t3 - 2 * t2 + t) * d0 +
      (-2 * t3 + 3 * t2) * c1 +
      (t3 - t2) * d1;
    const slope =
      (6 * t2 - 6 * t) * c0 +
      (3 * t2 - 4 * t + 1) * d0 +
      (-6 * t2 + 6 * t) * c1 +
      (3 * t2 - 2 * t) * d1;
    const next = Math.min(1, Math.max(0, slope > 0 ? t - (value - p) / slope : t));
    if (Math.abs(next - t) < 1e-12) break;
    t = next;
  }
  return logistic(newtonQuantile(grid, j, p, y0, y0 + h, y0 + t * h));
}

/**
 * Safeguarded Halley's method for F_j(y) = p within [lo, hi], from `y`, on the CDF computed to
 * quadrature accuracy; the density's slope is exact, g'(y) = g(y) (alpha - (alpha + beta) x),
 * so each step triples the correct digits (Householder 1970, The Numerical Treatment of a
 * Single Nonlinear Equation, section 4.4).
 */
function newtonQuantile(
  grid: BetaGrid,
  j: number,
  p: number,
  lo: number,
  hi: number,
  y: number,
): number {
  const arm = grid.shapes[j]!;
  for (let iter = 0; iter < 60; iter++) {
    const diff = cdfInPanel(grid, j, findPanel(grid, y), y) - p;
    const g = logitDensity(grid, j, y);
    const slope = g * (arm.alpha - arm.total * logistic(y));
    const newton = g > 0 ? diff / g : Number.POSITIVE_INFINITY;
    const step = newton / (1 - (newton * slope) / (2 * g));
    // Halley's error after a step is of the order of the step cubed (in scales of the arm).
    if (Math.abs(step) < 1e-5 * arm.scale) return y - step;
    if (diff > 0) hi = y;
    else lo = y;
    // Fall back to bisection when the step leaves the bracket.
    y = y - step > lo && y - step < hi ? y - step : (lo + hi) / 2;
  }
  return y;
}
