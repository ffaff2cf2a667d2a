import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Router, Router as router } from 'express';
import { NotFoundError } from '../errors/app-error.js';
import { CSRF_COOKIE, CSRF_HEADER } from './session-cookies.js';

const require = createRequire(import.meta.url);
const SWAGGER_UI = dirname(require.resolve('swagger-ui-dist/swagger-ui-bundle.js'));
/** The files of swagger-ui-dist that the page loads. */
const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']);

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Vibariant API reference</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
<style>body{margin:0;background:#fafafa}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

// A script of its own (no inline script): the Content-Security-Policy allows only this origin's.
// "Try it out" as a signed-in user sends the session's CSRF token, as the dashboard does.
const INIT_SCRIPT = `const csrfToken = () => {
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('${CSRF_COOKIE}='));
  return cookie === undefined ? undefined : decodeURIComponent(cookie.slice(${CSRF_COOKIE.length + 1}));
};
window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  requestInterceptor: (request) => {
    const token = csrfToken();
    if (token && request.method !== 'GET') request.headers['${CSRF_HEADER}'] = token;
    return request;
  },
});
`;

/**
 * `GET /api/docs`: the interactive API reference (Swagger UI over `/api/openapi.json`), served
 * from this server with its assets under `/api/docs/`. Public: mount it before the `/api`
 * credentials.
 */
export function apiDocs(): Router {
  const docs = router();
  docs.get('/api/docs', (_req, res) => {
    res.set('cache-control', 'no-cache').type('html').send(PAGE);
  });
  // Assets are files, not API routes.
  docs.use('/api/docs', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const name = req.path.slice(1);
    if (name === 'init.js') {
      res.set('cache-control', 'no-cache').type('text/javascript').send(INIT_SCRIPT);
    } else if (ASSETS.has(name)) {
      res.sendFile(join(SWAGGER_UI, name));
    } else {
      throw new NotFoundError('file', req.originalUrl.split('?')[0] ?? '');
    }
  });
  return docs;
}
