import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** A user's web site: pages the test writes, and files from directories. */
export interface Site {
  /** `http://localhost:port`: another origin than the API's `127.0.0.1`. */
  readonly url: string;
  /** Serves `html` at `path` from now on. */
  page(path: string, html: string): void;
  close(): Promise<void>;
}

/**
 * A static web site on an ephemeral port of `localhost`, serving test pages, and under each
 * prefix of `directories` (such as `/sdk/`) the files of its directory. Anything else is 404.
 */
export async function startSite(directories: Record<string, string>): Promise<Site> {
  const pages = new Map<string, string>();
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const html = pages.get(path);
    if (html !== undefined) {
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    const prefix = Object.keys(directories).find((p) => path.startsWith(p));
    const file = prefix ? normalize(path.slice(prefix.length)) : '..';
    if (prefix && !file.startsWith('..')) {
      try {
        const body = await readFile(join(directories[prefix] as string, file));
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
        return;
      } catch {
        // not built: 404
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    page: (path, html) => void pages.set(path, html),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
