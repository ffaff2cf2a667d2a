import { createEffect, on, onCleanup, onMount } from 'solid-js';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { theme, themeColour } from '../../theme.js';

/** `options` with its axes, grid and ticks in the theme's colours. */
function themed(options: Options): Options {
  const text = themeColour('--muted');
  const line = themeColour('--border');
  return {
    ...options,
    axes: (options.axes ?? [{}, {}]).map((axis) => ({
      stroke: text,
      grid: { stroke: line, width: 1 },
      ticks: { stroke: line, width: 1 },
      ...axis,
    })),
  };
}

/**
 * A uPlot chart that fills its container's width: created once with `options(width)`, given
 * new `data` as it changes (no re-creation), resized with its container, destroyed with it.
 * `label` names the chart for screen readers, which also get `summary` as text.
 */
export function UplotChart(props: {
  readonly label: string;
  readonly summary: string;
  readonly data: AlignedData;
  readonly options: (width: number) => Options;
  readonly height?: number;
}) {
  let container!: HTMLDivElement;
  let chart: uPlot | undefined;
  const width = () => Math.max(240, container.clientWidth);
  const create = () => {
    chart?.destroy();
    chart = new uPlot(
      themed({ ...props.options(width()), height: props.height ?? 220 }),
      props.data,
      container,
    );
  };
  // Drawn again in the other theme's colours when it changes.
  createEffect(on(theme, () => container && create(), { defer: true }));
  onMount(() => {
    create();
    const observer = new ResizeObserver(() =>
      chart?.setSize({ width: width(), height: props.height ?? 220 }),
    );
    observer.observe(container);
    onCleanup(() => {
      observer.disconnect();
      chart?.destroy();
      chart = undefined;
    });
  });
  createEffect(() => {
    const data = props.data;
    chart?.setData(data);
  });
  return (
    <figure class="chart" aria-label={props.label}>
      <div ref={container} role="img" aria-label={props.summary} />
    </figure>
  );
}

/** Colours of the variants, in order (distinct in both themes). */
const SERIES_COLOURS = [
  '#6366f1',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#0ea5e9',
  '#a855f7',
  '#84cc16',
  '#f97316',
  '#14b8a6',
  '#ec4899',
];

export const colourOf = (i: number): string => SERIES_COLOURS[i % SERIES_COLOURS.length] as string;
