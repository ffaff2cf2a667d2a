import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type Router } from 'express';
import { AppError, NotFoundError } from '../errors/app-error.js';

/**
 * Where `npm run build -w client` puts the dashboard: `client/dist` of the repository this code
 * runs from, found upwards from this file (the sources, or the bundle in `server/dist`).
 */
export const DEFAULT_DASHBOARD_DIR = join(repositoryRoot(import.meta.dirname), 'client', 'dist');

function repositoryRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'client', 'package.json'))) return dir;
  }
  return from;
}

/**
 * Paths the dashboard never answers: the API, sign-in, the SDK's routes, Socket.IO and the
 * probes, in any case and after any number of slashes (`//api/…` reaches no API route, and is
 * no page of the app either).
 */
const SERVER_PATHS = /^\/+(api|auth|v1|socket\.io|healthz|readyz|metrics)(\/|$)/i;
/** A path naming a file: its last segment has an extension. */
const FILE = /\.[^/]*$/;

/**
 * The built dashboard, from this origin: its hashed assets cached for a year (a missing one is a
 * 404), and `index.html` (never cached) for every other page a browser asks for, so that links
 * into the app work; a path naming a file is never answered with the page. When
 * the dashboard is not built, a browser asking for a page gets a 404 saying how to build it.
 */
export function dashboard(dir: string = DEFAULT_DASHBOARD_DIR): Router {
  const router = express.Router();
  const index = join(dir, 'index.html');
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false }),
    (req) => {
      throw new NotFoundError('file', req.originalUrl.split('?')[0] ?? '');
    },
  );
  router.get('/{*path}', (req, res, next) => {
    // A file that is not there (a name with an extension) is not a page of the app.
    if (SERVER_PATHS.test(req.path) || FILE.test(req.path) || !req.accepts('html')) {
      next();
      return;
    }
    if (!existsSync(index)) {
      throw new AppError(
        404,
        'dashboard_not_built',
        'The dashboard is not built: run `npm run build -w client` (npm start does it first)',
        { path: req.path },
      );
    }
    res.set('cache-control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
