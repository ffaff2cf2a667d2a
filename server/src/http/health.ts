import { type Router, Router as router } from 'express';
import { type Database, readiness } from '../db/database.js';

/**
 * Probes for orchestrators and load balancers:
 * - `GET /healthz`: the process answers (200 `{ ok: true }`);
 * - `GET /readyz`: the database answers and every migration is applied (200
 *   `{ ok: true, database }`), else 503 `{ ok: false, reason, pending? }`: send no traffic yet.
 */
export function healthRouter(db: Database): Router {
  const probes = router();
  probes.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  probes.get('/readyz', async (_req, res) => {
    const state = await readiness(db.knex);
    if (state.ready) res.json({ ok: true, database: db.driver });
    else {
      const { reason, pending } = state;
      res.status(503).json({ ok: false, reason, ...(pending === undefined ? {} : { pending }) });
    }
  });
  return probes;
}
