/**
 * The demo's experiments on a made-up product's landing page, each with the true conversion
 * rate of every variant: the simulation converts visitors at exactly these rates, so what the
 * dashboard concludes can be checked against the truth.
 */

/** Decision thresholds an experiment overrides (the API's `thresholds`, STATS.md section 6). */
export interface DemoThresholds {
  readonly minVisitorsPerVariant?: number;
  readonly lossThreshold?: number;
  readonly minProbabilityToBeBest?: number;
  readonly ropeRelative?: number;
  readonly ropeHalfWidth?: number;
}

/** What the demo promises an experiment shows, given enough visitors. */
export type Expectation =
  | { readonly status: 'ready_to_ship'; readonly leader: string }
  | { readonly status: 'practically_equivalent' }
  | { readonly status: 'keep_testing' }
  | { readonly status: 'bandit'; readonly worst: string };

/** One experiment of the demo, as created through the API, with its truth. */
export interface DemoExperiment {
  /** The experiment key (the SDK's `getVariant` key). */
  readonly key: string;
  readonly name: string;
  /** A word for the status line. */
  readonly label: string;
  /** Shown in the dashboard: what is tested, and why the thresholds are what they are. */
  readonly hypothesis: string;
  /** In the order the SDK declares them; the first is the control. */
  readonly variants: readonly { readonly key: string; readonly name: string }[];
  /** True conversion rate of each variant (same order), each in [0, 1]. */
  readonly trueRates: readonly number[];
  /** The goal the experiment decides on; the visitor converts by `track(goal)`. */
  readonly goal: string;
  /** The page the experiment is on: `/` for every visitor, `/pricing` for some. */
  readonly page: '/' | '/pricing';
  /** Whether the goal is reached by submitting a form (engagement counts it). */
  readonly form?: boolean;
  readonly banditMode: 'top-two' | 'thompson' | 'off';
  readonly thresholds?: DemoThresholds;
  readonly expected: Expectation;
}

/** Share of visitors who go on to the pricing page, in [0, 1]. */
export const PRICING_PAGE_SHARE = 0.4;

/**
 * The four experiments. Rates and thresholds were chosen with the stats engine's own decision
 * rule, simulated at 20 visitors a second (200 runs each): the headline ships in a median of
 * about 8 s (90% within 25 s); the button colours become practically equivalent in a median
 * of about 30 s (90% within 60 s); the pricing page keeps testing about 97% of the time in its
 * first ten minutes; the offer's bandit gives no offer its floor of 10% of new visitors
 * (90% of runs at most 13% by 400 visitors), the two offers sharing the rest.
 */
export const DEMO_EXPERIMENTS: readonly DemoExperiment[] = [
  {
    key: 'hero-headline',
    label: 'hero',
    name: 'Hero headline',
    hypothesis:
      'Saying what the product does for you ("Deploy in 30 seconds") gets more trials than ' +
      'saying what it is. Demo truth: 4% vs 10% start a trial.',
    variants: [
      { key: 'control', name: 'Cloud hosting for small teams' },
      { key: 'benefit', name: 'Deploy in 30 seconds' },
    ],
    trueRates: [0.04, 0.1],
    goal: 'start-trial',
    page: '/',
    banditMode: 'top-two',
    expected: { status: 'ready_to_ship', leader: 'benefit' },
  },
  {
    key: 'button-colour',
    label: 'button',
    name: 'Button colour',
    hypothesis:
      'The colour of the call to action does not matter. A change under 20% of the click rate ' +
      'is not worth a redesign (ROPE 20% relative), and shipping a colour asks for 99% ' +
      'certainty. Demo truth: 50% click either.',
    variants: [
      { key: 'blue', name: 'Blue button' },
      { key: 'green', name: 'Green button' },
    ],
    trueRates: [0.5, 0.5],
    goal: 'cta-click',
    page: '/',
    banditMode: 'top-two',
    thresholds: { ropeRelative: 0.2, minProbabilityToBeBest: 0.99 },
    expected: { status: 'practically_equivalent' },
  },
  {
    key: 'pricing-page',
    label: 'pricing',
    name: 'Pricing page',
    hypothesis:
      'Showing the annual price first sells a little more. Pricing touches revenue, so ' +
      'shipping asks for 99% certainty. Demo truth: 6.0% vs 6.6% upgrade, a 10% lift that ' +
      'takes tens of thousands of visitors to settle.',
    variants: [
      { key: 'monthly-first', name: 'Monthly price first' },
      { key: 'annual-first', name: 'Annual price first' },
    ],
    trueRates: [0.06, 0.066],
    goal: 'upgrade',
    page: '/pricing',
    banditMode: 'top-two',
    thresholds: { minProbabilityToBeBest: 0.99 },
    expected: { status: 'keep_testing' },
  },
  {
    key: 'signup-offer',
    label: 'offer',
    name: 'Sign-up offer',
    hypothesis:
      'An incentive gets more newsletter sign-ups. Top-Two Thompson sampling moves new ' +
      'visitors away from no offer to the two offers, the contenders, while the test runs. ' +
      'Demo truth: 2%, 8% and 10%.',
    variants: [
      { key: 'none', name: 'No offer' },
      { key: 'ebook', name: 'Free e-book' },
      { key: 'discount', name: '20% off the first month' },
    ],
    trueRates: [0.02, 0.08, 0.1],
    goal: 'subscribe',
    page: '/',
    form: true,
    banditMode: 'top-two',
    expected: { status: 'bandit', worst: 'none' },
  },
];
