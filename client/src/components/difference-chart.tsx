import { For } from 'solid-js';
import type { Decision } from '../api/types.js';
import { points, pp } from '../format.js';

/**
 * Each difference between the leader and another variant: its 95% HDI as a bar, the mean as
 * a tick, and the region of practical equivalence (ROPE) shaded around zero. A bar inside the
 * ROPE means "the same, for practical purposes"; a bar clear of zero means a real difference.
 */
export function DifferenceChart(props: { readonly decision: Decision }) {
  const halfWidth = () => props.decision.rope.halfWidth;
  const extent = () =>
    Math.max(
      halfWidth() * 2,
      ...props.decision.differences.flatMap((d) => [Math.abs(d.hdi95[0]), Math.abs(d.hdi95[1])]),
    ) * 1.1 || 0.01;
  const x = (value: number) => 50 + (value / extent()) * 50;
  return (
    <figure class="difference-chart" aria-label="Differences against the ROPE">
      <For each={props.decision.differences}>
        {(d) => (
          <div class="difference-row">
            <span class="difference-label">
              {props.decision.leader} − {d.vs}
            </span>
            <svg
              viewBox="0 0 100 10"
              preserveAspectRatio="none"
              role="img"
              aria-label={`${props.decision.leader} minus ${d.vs}: ${points(d.mean)}, 95% HDI ${points(d.hdi95[0])} to ${points(d.hdi95[1])}${d.insideRope ? ', inside the ROPE' : ''}`}
            >
              <rect
                class="rope"
                x={x(-halfWidth())}
                width={x(halfWidth()) - x(-halfWidth())}
                y="0"
                height="10"
              />
              <line class="zero" x1="50" x2="50" y1="0" y2="10" />
              <rect
                class={d.insideRope ? 'hdi inside' : 'hdi'}
                x={x(d.hdi95[0])}
                width={Math.max(0.5, x(d.hdi95[1]) - x(d.hdi95[0]))}
                y="3"
                height="4"
              />
              <line class="mean" x1={x(d.mean)} x2={x(d.mean)} y1="1" y2="9" />
            </svg>
            <span class="muted small">
              {points(d.hdi95[0])} to {points(d.hdi95[1])}
            </span>
          </div>
        )}
      </For>
      <figcaption class="muted small">
        Bars: 95% highest-density interval of the difference. Shaded: the ROPE (±
        {pp(halfWidth(), 1)}
        ), differences too small to matter.
      </figcaption>
    </figure>
  );
}
