import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a 1 ms batch on an idle server to a 5 s one under a database stall. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The server's Prometheus metrics (prom-client), in a registry of their own so that several
 * servers in one process (tests) do not share counters. Served at `GET /metrics`.
 */
export interface Metrics {
  readonly registry: Registry;
  /** `vibariant_events_total{outcome}`: events of acknowledged batches, by outcome. */
  readonly events: Counter<'outcome'>;
  /** `vibariant_event_batches_total{status}`: `POST /v1/events` answers, by HTTP status. */
  readonly batches: Counter<'status'>;
  /** `vibariant_event_batch_duration_seconds`: time to answer an acknowledged batch. */
  readonly batchDuration: Histogram;
  /** `vibariant_decision_recompute_duration_seconds`: one experiment's recompute. */
  readonly recomputeDuration: Histogram;
  /** `vibariant_webhook_deliveries_total{state}`: webhook attempts, by how they ended. */
  readonly webhookAttempts: Counter<'state'>;
  /** `vibariant_sockets`: connected Socket.IO clients of this server. */
  readonly sockets: Gauge;
}

/**
 * Creates the metrics, with Node's process metrics (memory, CPU, event loop lag) under the
 * `vibariant_` prefix.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vibariant_' });
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: 'vibariant_events_total',
      help: 'Events in acknowledged batches, by outcome: accepted (stored), duplicate, rejected',
      labelNames: ['outcome'],
      registers,
    }),
    batches: new Counter({
      name: 'vibariant_event_batches_total',
      help: 'Event batches answered, by HTTP status (200 acknowledged, 4xx refused, 5xx failed)',
      labelNames: ['status'],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'vibariant_event_batch_duration_seconds',
      help: 'Time to validate, store and count an acknowledged event batch',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    recomputeDuration: new Histogram({
      name: 'vibariant_decision_recompute_duration_seconds',
      help: "Time to recompute and store one experiment's decision",
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'vibariant_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by how they ended (delivered, pending retry, failed)',
      labelNames: ['state'],
      registers,
    }),
    sockets: new Gauge({
      name: 'vibariant_sockets',
      help: 'Socket.IO clients connected to this server',
      registers,
    }),
  };
}
