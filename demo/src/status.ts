/** What the demo prints: the opening summary and the live status lines. */
import type { AllocationEpoch, ExperimentView } from './api-client.js';
import { type DemoExperiment, PRICING_PAGE_SHARE } from './scenario.js';
import type { TrafficCounts } from './traffic.js';

/** Visitors per variant of one experiment, counted by the simulation (what it sent). */
export type Tally = Record<string, { visitors: number; conversions: number }>;

const percent = (x: number, digits = 0) => `${(x * 100).toFixed(digits)}%`;
const words = (status: string) => status.replaceAll('_', ' ');

/** One line per experiment: its key, the true rate of each variant, and what to expect. */
export function describeExperiments(
  experiments: readonly DemoExperiment[],
  banditIntervalSeconds: number,
): string[] {
  const width = Math.max(...experiments.map((e) => e.key.length));
  return experiments.map((e) => {
    const rates = e.variants.map((v, i) => `${v.key} ${percent(e.trueRates[i] ?? 0, 1)}`);
    const who = e.page === '/pricing' ? ` (${percent(PRICING_PAGE_SHARE)} of visitors)` : '';
    const expected = e.expected;
    const what =
      expected.status === 'ready_to_ship'
        ? `ready to ship ${expected.leader}`
        : expected.status === 'bandit'
          ? `the bandit moves traffic off ${expected.worst} (every ${banditIntervalSeconds} s at most)`
          : words(expected.status);
    return `${e.key.padEnd(width)}  ${rates.join(', ')}${who} -> ${what}`;
  });
}

/** A decision status in a few words: the leader when ready to ship. */
const briefly = (status: string, leader: string): string =>
  status === 'ready_to_ship'
    ? `ship ${leader}`
    : status === 'practically_equivalent'
      ? 'equivalent'
      : status === 'collecting_data'
        ? 'collecting'
        : words(status);

/**
 * The live status line: time, visitors sent and their rate, each experiment's decision status
 * in a few words (by its label), and the traffic split in force of experiments with more than
 * two variants (where the bandit moves it).
 */
export function statusLine(
  counts: TrafficCounts,
  experiments: readonly ExperimentView[],
  definitions: readonly DemoExperiment[],
): string {
  const seconds = counts.elapsedMs / 1000;
  const rate = seconds > 0 ? counts.finished / seconds : 0;
  const parts = experiments.map((e) => {
    const label = definitions.find((d) => d.key === e.key)?.label ?? e.key;
    if (e.status !== 'running') return `${label}: ${e.status}`;
    if (!e.decision) return `${label}: -`;
    const split =
      e.variants.length > 2
        ? `, traffic ${e.allocation.weights.map((w) => (w * 100).toFixed(0)).join('/')}%`
        : '';
    return `${label}: ${briefly(e.decision.status, e.decision.leader)}${split}`;
  });
  const failed = counts.failed > 0 ? `, ${counts.failed} failed` : '';
  return `[${seconds.toFixed(0).padStart(4)} s] ${counts.finished} visitors, ${rate.toFixed(1)}/s${failed} | ${parts.join(' | ')}`;
}

/**
 * The closing summary: per experiment, the counts, the decision and its recommendation, and
 * how the traffic was split under each allocation version the bandit set.
 */
export function summary(
  experiments: readonly ExperimentView[],
  allocations: Readonly<Record<string, readonly AllocationEpoch[]>> = {},
): string[] {
  const lines: string[] = [];
  for (const e of experiments) {
    const d = e.decision;
    lines.push(`${e.name} (${e.key}): ${d ? words(d.status) : 'no decision'}`);
    const epochs = allocations[e.key] ?? [];
    if (epochs.length > 1) {
      const split = (epoch: AllocationEpoch) =>
        `v${epoch.version} ${epoch.variants.map((v) => percent(v.weight)).join('/')} (${epoch.visitors} visitors)`;
      const shown = epochs.length > 3 ? [epochs[0], epochs.at(-1)] : epochs;
      const moves = epochs.length > 3 ? ` (${epochs.length - 1} moves)` : '';
      lines.push(
        `  traffic: ${shown.map((epoch) => (epoch ? split(epoch) : '')).join(' -> ')}${moves}`,
      );
    }
    for (const v of d?.variants ?? []) {
      lines.push(
        `  ${v.key.padEnd(14)} ${String(v.conversions).padStart(6)} / ${String(v.visitors).padEnd(7)} ` +
          `P(best) ${percent(v.pBest).padStart(4)}  allocation ${percent(v.allocation)}`,
      );
    }
    if (d) lines.push(`  ${d.recommendation}`);
  }
  return lines;
}
