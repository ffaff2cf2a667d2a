import type { Decision } from '../../api/types.js';
import { percent } from '../../format.js';
import { alignDensities } from './align-densities.js';
import { colourOf, UplotChart } from './uplot-chart.js';

/** The posterior density of each variant's conversion rate. */
export function DensityChart(props: { readonly decision: Decision }) {
  const keys = () => props.decision.variants.map((v) => v.key);
  return (
    <UplotChart
      label="Posterior density of each variant's conversion rate"
      summary={props.decision.variants
        .map((v) => `${v.key}: most likely ${percent(v.mean)}`)
        .join('; ')}
      data={alignDensities(props.decision.variants)}
      options={(width) => ({
        width,
        height: 220,
        scales: { x: { time: false } },
        axes: [{ values: (_u, ticks) => ticks.map((t) => percent(t, 0)) }, { show: false }],
        series: [
          { label: 'Conversion rate', value: (_u, v) => (v == null ? '' : percent(v)) },
          ...keys().map((key, i) => ({
            label: key,
            stroke: colourOf(i),
            fill: `${colourOf(i)}22`,
            width: 2,
            value: (_u: unknown, v: number | null) => (v == null ? '' : v.toFixed(1)),
          })),
        ],
        legend: { show: true },
      })}
    />
  );
}
