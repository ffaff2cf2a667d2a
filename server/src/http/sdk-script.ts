import { createRequire } from 'node:module';
import type { RequestHandler } from 'express';
import { NotFoundError } from '../errors/app-error.js';

const require = createRequire(import.meta.url);

/**
 * `GET /vibariant.global.js`: the SDK's script-tag bundle (`npm run build -w sdk`, which
 * `npm start` runs first), for `<script src="<this server>/vibariant.global.js"
 * data-token="vv_proj_…">` on any site: cross-origin loads allowed, cached for 5 minutes.
 * Answers 404 (JSON) while the SDK is not built.
 */
export function sdkScript(): RequestHandler {
  return (_req, res, next) => {
    let path: string;
    try {
      path = require.resolve('@vibariant/sdk/vibariant.global.js');
    } catch {
      next(new NotFoundError('file', 'vibariant.global.js (build it: npm run build -w sdk)'));
      return;
    }
    res.set({
      'cross-origin-resource-policy': 'cross-origin',
      'cache-control': 'public, max-age=300',
    });
    res.sendFile(path);
  };
}
