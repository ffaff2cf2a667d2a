import type { AlignedData } from 'uplot';
import type { Decision } from '../../api/types.js';

const POINTS = 240;

/**
 * Each variant's density linearly interpolated on one grid from the lowest to the highest
 * rate any variant's curve covers (uPlot draws series over one shared x).
 */
export function alignDensities(variants: Decision['variants']): AlignedData {
  const lo = Math.min(...variants.map((v) => v.density.x[0] ?? 0));
  const hi = Math.max(...variants.map((v) => v.density.x.at(-1) ?? 1));
  const xs = Array.from({ length: POINTS }, (_, i) => lo + ((hi - lo) * i) / (POINTS - 1));
  const series = variants.map(({ density: { x, y } }) => {
    let j = 0;
    return xs.map((at) => {
      if (x.length === 0 || at < (x[0] as number) || at > (x.at(-1) as number)) return 0;
      while (j < x.length - 2 && (x[j + 1] as number) < at) j++;
      const x0 = x[j] as number;
      const x1 = x[j + 1] ?? x0;
      const t = x1 === x0 ? 0 : (at - x0) / (x1 - x0);
      return (y[j] as number) * (1 - t) + (y[j + 1] ?? (y[j] as number)) * t;
    });
  });
  return [xs, ...series];
}
