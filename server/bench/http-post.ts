/** A minimal keep-alive HTTP POST for load generators (node:http, no client lib). */
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';

/** Where and how to post: the server's origin, the path and the fixed request headers. */
export interface PostTarget {
  readonly origin: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Status, headers and body text of one response. */
export interface PostResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/**
 * POSTs `body` to the target over `agent`; resolves with the whole response.
 * @param timeoutMs when given, the request is aborted (and the promise rejects) when no answer
 *   has come after that long.
 * @param onWritten called when the whole request has been handed to the socket.
 * @throws the socket's error (connection refused or reset, timeout).
 */
export function post(
  agent: Agent,
  target: PostTarget,
  body: Buffer,
  timeoutMs?: number,
  onWritten?: () => void,
): Promise<PostResponse> {
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
        ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
        // A connection cut in the middle of the body: no answer.
        res.on('close', () => {
          if (!res.complete) reject(new Error('the response was cut short'));
        });
      },
    );
    req.on('error', reject);
    if (onWritten) req.once('finish', onWritten);
    req.end(body);
  });
}
