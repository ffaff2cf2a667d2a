import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';

/**
 * `GET /metrics`: the server's metrics in Prometheus' text format. Public, as health checks are:
 * counts and latencies, nothing about any visitor or project.
 */
export function metricsEndpoint(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

/**
 * Counts every answer to `POST /v1/events` by status, refused ones included (401, 413, 429 come
 * from guards in front of ingestion), and times the acknowledged ones.
 */
export function countBatches(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST') {
      next();
      return;
    }
    const stop = metrics.batchDuration.startTimer();
    res.once('finish', () => {
      metrics.batches.inc({ status: String(res.statusCode) });
      if (res.statusCode === 200) stop();
    });
    next();
  };
}
