/** How the dashboard writes numbers, statuses and notifications for people. */
import type { NotificationView } from './api/types.js';

/** A conversion rate or probability as a percentage: 0.1234 -> "12.3%". */
export function percent(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(digits)}%`;
}

/** A difference in conversion rate, in percentage points with a sign: 0.012 -> "+1.2 pp". */
export function points(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '–';
  const value = (x * 100).toFixed(digits);
  return `${x > 0 ? '+' : ''}${value} pp`;
}

/** A size in conversion-rate units, in percentage points: 0.0123 -> "1.23 pp" (expected loss). */
export function pp(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(digits)} pp`;
}

/** An interval of rates: [0.01, 0.2] -> "1.0% – 20.0%". */
export function interval([lo, hi]: readonly [number, number] | readonly number[]): string {
  return `${percent(lo as number)} – ${percent(hi as number)}`;
}

/** A count with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A time as people read it, in their time zone. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** The label and tone of a decision status. */
export const STATUS: Record<string, { label: string; tone: 'neutral' | 'info' | 'good' | 'warn' }> =
  {
    collecting_data: { label: 'Collecting data', tone: 'neutral' },
    keep_testing: { label: 'Keep testing', tone: 'info' },
    ready_to_ship: { label: 'Ready to ship', tone: 'good' },
    practically_equivalent: { label: 'Practically equivalent', tone: 'info' },
  };

/** The label of a status, also for one the dashboard does not know. */
export function statusLabel(status: string | null | undefined): string {
  if (!status) return 'No data yet';
  return STATUS[status]?.label ?? status.replaceAll('_', ' ');
}

/** One sentence for a notification. */
export function describeNotification(n: Pick<NotificationView, 'kind' | 'payload'>): string {
  const key = String(n.payload.experimentKey ?? n.payload.experimentName ?? 'An experiment');
  switch (n.kind) {
    case 'ready_to_ship':
      return `${key}: ${String(n.payload.leader ?? 'a variant')} is ready to ship.`;
    case 'practically_equivalent':
      return `${key}: the variants are practically equivalent; keep the simplest.`;
    case 'srm_detected':
      return `${key}: traffic is not split as the allocation says (sample ratio mismatch).`;
    default:
      return `${key}: ${String(n.kind)}`;
  }
}
