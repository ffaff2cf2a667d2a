import type { AlignedData } from 'uplot';
import { colourOf, UplotChart } from './uplot-chart.js';

/** A per-variant quantity over time. */
export interface HistoryPoint {
  /** Seconds since the epoch. */
  readonly t: number;
  /** One value per variant, in the variants' order (null: not measured then). */
  readonly values: readonly (number | null)[];
}

/** A line per variant over time: probability to be best, expected loss or traffic share. */
export function HistoryChart(props: {
  readonly label: string;
  readonly keys: readonly string[];
  readonly points: readonly HistoryPoint[];
  readonly format: (value: number) => string;
  readonly range?: [number, number];
}) {
  const data = (): AlignedData => [
    props.points.map((p) => p.t),
    ...props.keys.map((_, i) => props.points.map((p) => p.values[i] ?? null)),
  ];
  const last = () => props.points.at(-1);
  return (
    <UplotChart
      label={props.label}
      summary={`${props.label}, latest: ${props.keys
        .map(
          (k, i) =>
            `${k} ${last()?.values[i] == null ? '–' : props.format(last()?.values[i] as number)}`,
        )
        .join(', ')}`}
      data={data()}
      height={180}
      options={(width) => ({
        width,
        height: 180,
        scales: props.range ? { y: { range: props.range } } : {},
        axes: [
          {},
          {
            values: (_u, ticks) => ticks.map(props.format),
            // As wide as its longest label.
            size: (_u, values) => 16 + 7 * Math.max(5, ...(values ?? []).map((v) => v.length)),
          },
        ],
        series: [
          {},
          ...props.keys.map((key, i) => ({
            label: key,
            stroke: colourOf(i),
            width: 2,
            spanGaps: true,
            value: (_u: unknown, v: number | null) => (v == null ? '–' : props.format(v)),
          })),
        ],
      })}
    />
  );
}
