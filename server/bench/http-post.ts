/** A minimal keep-alive HTTP POST for the benchmark's load generator (node:http, no client lib). */
import { type Agent, request } from 'node:http';

/** Where and how to post: the server's origin, the path and the fixed request headers. */
export interface PostTarget {
  readonly origin: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Status and body text of one response. */
export interface PostResponse {
  readonly status: number;
  readonly text: string;
}

/** POSTs `body` to the target over `agent`; resolves with the whole response. */
export function post(agent: Agent, target: PostTarget, body: Buffer): Promise<PostResponse> {
  const url = new URL(target.path, target.origin);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...target.headers, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
