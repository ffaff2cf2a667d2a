import { For } from 'solid-js';
import type { Decision } from '../api/types.js';
import { count, interval, percent, pp } from '../format.js';
import { colourOf } from './charts/uplot-chart.js';

/**
 * Per variant: visitors, conversions, the rate with its 95% credible interval, probability to
 * be best, expected loss and the share of new traffic.
 */
export function VariantTable(props: {
  readonly decision: Decision;
  readonly weights: readonly number[];
}) {
  return (
    <table class="table" aria-label="Variants">
      <thead>
        <tr>
          <th scope="col">Variant</th>
          <th scope="col" class="num">
            Visitors
          </th>
          <th scope="col" class="num">
            Conversions
          </th>
          <th scope="col" class="num">
            Rate <span class="muted small">(95% credible interval)</span>
          </th>
          <th scope="col" class="num">
            Probability to be best
          </th>
          <th
            scope="col"
            class="num"
            title="What shipping it would cost, on average, if it is not the best"
          >
            Expected loss
          </th>
          <th scope="col" class="num">
            Traffic share
          </th>
        </tr>
      </thead>
      <tbody>
        <For each={props.decision.variants}>
          {(v, i) => (
            <tr data-variant={v.key}>
              <th scope="row">
                <span class="swatch" style={{ background: colourOf(i()) }} aria-hidden="true" />
                {v.key}
                {v.key === props.decision.leader ? <span class="muted small"> leading</span> : ''}
              </th>
              <td class="num" data-field="visitors">
                {count(v.visitors)}
              </td>
              <td class="num" data-field="conversions">
                {count(v.conversions)}
              </td>
              <td class="num">
                {percent(v.mean)} <span class="muted small">{interval(v.ci95)}</span>
              </td>
              <td class="num">{percent(v.pBest)}</td>
              <td class="num">{pp(v.expectedLoss)}</td>
              <td class="num">{percent(props.weights[i()] ?? v.allocation, 0)}</td>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  );
}
