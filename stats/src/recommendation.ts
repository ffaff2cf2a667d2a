/**
 * The plain-English paragraph that goes with every decision, for people who are not
 * statisticians: what to do now, how likely the leader is to be best, what shipping it risks,
 * and how far the experiment is from an answer. It never claims more certainty than the numbers
 * give: probabilities are rounded but never shown as 100% or 0%.
 */
import type { Projection } from './planner.js';
import type { DecisionStatus, Effect } from './types.js';

/** The facts a recommendation is written from. */
export interface RecommendationFacts {
  readonly status: DecisionStatus;
  readonly effect: Effect | null;
  readonly leader: string;
  readonly leaderPBest: number;
  /** Expected loss of shipping the leader, absolute units. */
  readonly leaderLoss: number;
  /** Per other variant: its key and the 95% HDI of leader minus it (null when not computed). */
  readonly differences: readonly { vs: string; hdi95: readonly [number, number] | null }[];
  readonly ropeHalfWidth: number;
  readonly minVisitorsPerVariant: number;
  /** Variants still below the minimum, with their visitor counts. */
  readonly shortVariants: readonly { key: string; visitors: number }[];
  readonly srm: { readonly detected: boolean; readonly pValue: number | null };
  readonly projection: Projection | null;
  /** Proxy leaning: the variant with the highest P(best) on the engagement score. */
  readonly proxyLeader: { key: string; pBest: number } | null;
}

/**
 * A probability as a whole percentage, never "100%" or "0%": a posterior probability is never
 * certainty, so ">99%" and "<1%" stand for the rounded extremes.
 */
export function formatProbability(p: number): string {
  if (p >= 0.995) return '>99%';
  if (p < 0.005) return '<1%';
  return `${Math.round(p * 100)}%`;
}

/**
 * An absolute rate difference in percentage points with two significant digits, never in
 * exponent notation: 0.0035 -> "0.35", 0.000999 -> "0.10", 0.1234 -> "12".
 */
export function formatPoints(rate: number): string {
  const points = Number((rate * 100).toPrecision(2));
  if (points === 0) return '0';
  const digits = Math.max(0, 1 - Math.floor(Math.log10(Math.abs(points))));
  return points.toFixed(Math.min(digits, 20));
}

/** Below this P(best) on the engagement score, engagement is said not to favour anyone. */
const PROXY_LEANING = 0.6;

/** A p-value for text, two significant digits: "p = 0.00021", or "p < 0.000001" below that. */
function formatPValue(p: number): string {
  return p < 1e-6 ? 'p < 0.000001' : `p = ${p.toPrecision(2)}`;
}

/** A whole count with thousands separators ("19,000"), the same on every platform. */
function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A rough count, two significant digits: 19,359 -> "19,000". */
function formatRoughCount(n: number): string {
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(1, n))) - 1);
  return formatCount(Math.round(n / magnitude) * magnitude);
}

/** A risk in percentage points: "about 0.35 percentage points", or "less than 0.01 ...". */
function formatRisk(rate: number): string {
  return rate < 0.0001
    ? 'less than 0.01 percentage points'
    : `about ${formatPoints(rate)} percentage points`;
}

function signedPoints(rate: number): string {
  return `${rate >= 0 ? '+' : '-'}${formatPoints(Math.abs(rate))}`;
}

function hdiText(d: { vs: string; hdi95: readonly [number, number] | null }): string {
  const [lo, hi] = d.hdi95!;
  return `${signedPoints(lo)} to ${signedPoints(hi)} points over ${d.vs}`;
}

/**
 * Writes the recommendation paragraph from the decision's facts (STATS.md section 6): one to
 * four sentences, SRM warning first when detected. Pure; O(K).
 */
export function writeRecommendation(f: RecommendationFacts): string {
  const sentences: string[] = [];
  if (f.srm.detected) {
    sentences.push(
      `Warning: sample ratio mismatch (${formatPValue(f.srm.pValue!)}): visitors are not reaching the variants in the proportions they were allocated, so these results cannot be trusted until the cause is found (redirects, caching, bot filtering or an assignment bug).`,
    );
  }
  const chance = `${formatProbability(f.leaderPBest)} chance of being the best variant`;
  const risk = formatRisk(f.leaderLoss);
  let proxy: string | null = null;
  if (f.proxyLeader !== null && f.proxyLeader.pBest >= PROXY_LEANING) {
    proxy = `Engagement leans towards ${f.proxyLeader.key} (${formatProbability(f.proxyLeader.pBest)} chance of the highest engagement score), an early hint rather than proof of more conversions.`;
  } else if (f.proxyLeader !== null) {
    proxy = 'Engagement does not favour any variant yet.';
  }

  switch (f.status) {
    case 'collecting_data': {
      const short = f.shortVariants
        .map((v) => `${v.key} has ${formatCount(v.visitors)}`)
        .join(', ');
      sentences.push(
        `Still collecting data: every variant needs at least ${formatCount(f.minVisitorsPerVariant)} visitors before the results mean much (${short}).`,
      );
      sentences.push(`So far ${f.leader} is ahead with a ${chance}, far too early to act on.`);
      if (proxy) sentences.push(proxy);
      break;
    }
    case 'keep_testing': {
      sentences.push(
        `Keep testing. ${f.leader} is ahead with a ${chance}; if you shipped it now and it is not the best, you would lose ${risk} of conversion rate on average.`,
      );
      const p = f.projection;
      if (p?.additionalVisitorsPerVariant != null) {
        sentences.push(
          `About ${formatRoughCount(Math.max(10, p.additionalVisitorsPerVariant))} more visitors per variant would likely settle it.`,
        );
      } else if (p) {
        sentences.push(
          `Even ${formatRoughCount(p.horizonPerVariant)} more visitors per variant would probably not settle it: the difference may be too small to matter, so consider stopping and keeping the simpler variant.`,
        );
      }
      if (proxy) sentences.push(proxy);
      break;
    }
    case 'ready_to_ship': {
      const differences = f.differences.map(hdiText).join('; ');
      if (f.effect === 'clear') {
        sentences.push(
          `Ready to ship ${f.leader}: it has a ${chance} and a clear, practically meaningful gain (95% credible range ${differences}).`,
        );
      } else if (f.effect === 'likely') {
        sentences.push(
          `Ready to ship ${f.leader}: it has a ${chance} and is probably better, though the gain may be small (95% credible range ${differences}).`,
        );
      } else {
        sentences.push(
          `Safe to ship ${f.leader}, but expect no measurable gain: it has a ${chance}, yet the data cannot tell it apart from the others (95% credible range ${differences}).`,
        );
      }
      sentences.push(
        `If it is not the best after all, shipping it costs ${risk} of conversion rate on average.`,
      );
      break;
    }
    case 'practically_equivalent': {
      sentences.push(
        `The variants perform practically the same: every difference is within ${formatPoints(f.ropeHalfWidth)} percentage points either way, too small to matter. ${f.leader} is nominally ahead (${chance}), which makes no practical difference. Keep whichever variant is simpler; testing longer would not change the answer.`,
      );
      break;
    }
  }
  return sentences.join(' ');
}
