import { For, Show } from 'solid-js';
import type { Decision } from '../api/types.js';
import { percent } from '../format.js';

/**
 * While conversions are sparse: the engagement proxy (scroll, active time, clicks, forms),
 * CUPED-adjusted when the visitors' earlier engagement helps. An early signal, not a decision.
 */
export function ProxyPanel(props: { readonly decision: Decision }) {
  return (
    <Show when={props.decision.proxy}>
      {(proxy) => (
        <section class="card" aria-labelledby="proxy-title">
          <h2 id="proxy-title">Early signal: engagement</h2>
          <p class="muted">
            Few conversions so far, so Vibariant also compares how engaged each variant's visitors
            are. This is a hint, not a reason to ship.
            {proxy().cupedApplied ? ' Adjusted for visitors’ earlier engagement (CUPED).' : ''}
          </p>
          <table class="table" aria-label="Engagement proxy">
            <thead>
              <tr>
                <th scope="col">Variant</th>
                <th scope="col" class="num">
                  Visitors
                </th>
                <th scope="col" class="num">
                  Mean score
                </th>
                <th scope="col" class="num">
                  Probability of the most engagement
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={proxy().variants}>
                {(v) => (
                  <tr>
                    <th scope="row">{v.key}</th>
                    <td class="num">{v.n}</td>
                    <td class="num">
                      {v.mean.toFixed(2)}{' '}
                      <span class="muted small">± {v.standardError.toFixed(2)}</span>
                    </td>
                    <td class="num">{percent(v.pBest)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </section>
      )}
    </Show>
  );
}
