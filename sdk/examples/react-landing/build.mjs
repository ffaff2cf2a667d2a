/**
 * Builds the landing page with esbuild into `dist/` (or `--outdir`): `landing.js` and
 * `landing.css` (minified, React in production mode) and `index.html`, with the project token
 * and the server's address put into it when given. `--serve` then serves it, rebuilding on
 * changes to the sources.
 *
 *   node build.mjs [--token vv_proj_…] [--api-host http://127.0.0.1:4000] [--outdir dist]
 *                  [--serve] [--port 5180]
 *
 * VIBARIANT_TOKEN and VIBARIANT_API_HOST may stand for --token and --api-host. Exits with 1
 * when the build fails (esbuild prints why).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const here = import.meta.dirname;
const { values } = parseArgs({
  options: {
    token: { type: 'string', default: process.env.VIBARIANT_TOKEN },
    'api-host': { type: 'string', default: process.env.VIBARIANT_API_HOST },
    outdir: { type: 'string', default: join(here, 'dist') },
    serve: { type: 'boolean', default: false },
    port: { type: 'string', default: '5180' },
  },
});
const outdir = resolve(values.outdir);

/** The esbuild options: one entry, named `landing` (`landing.js`, and `landing.css`). */
const options = {
  entryPoints: { landing: join(here, 'src', 'main.tsx') },
  outdir,
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  target: 'es2020',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};

/** index.html with the token and server given (attribute values escaped). */
function writeHtml() {
  const attribute = (text) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  let html = readFileSync(join(here, 'index.html'), 'utf8');
  if (values.token)
    html = html.replace(/data-token="[^"]*"/, `data-token="${attribute(values.token)}"`);
  if (values['api-host']) {
    html = html.replace(
      /data-api-host="[^"]*"/,
      `data-api-host="${attribute(values['api-host'])}"`,
    );
  }
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'index.html'), html);
}

try {
  writeHtml();
  if (values.serve) {
    const context = await esbuild.context(options);
    await context.watch();
    const { port } = await context.serve({ servedir: outdir, port: Number(values.port) });
    process.stdout.write(`Landing page on http://127.0.0.1:${port} (Ctrl-C to stop)\n`);
  } else {
    await esbuild.build(options);
  }
} catch {
  process.exitCode = 1;
}
