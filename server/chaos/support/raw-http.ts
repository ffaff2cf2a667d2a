import { connect } from 'node:net';

/** What came back for one raw request. */
export interface RawAnswer {
  /** The final status (after any 1xx), or undefined when the connection closed without one. */
  readonly status: number | undefined;
  /** The response's header lines, lower-cased names. */
  readonly headers: Record<string, string>;
  /** The response body as received (chunked bodies are left encoded). */
  readonly body: Buffer;
  /** True when nothing complete came back within the timeout. */
  readonly timedOut: boolean;
}

/**
 * Sends `request`, bytes exactly as given (a request line, headers and body, however
 * malformed), over a new TCP connection to 127.0.0.1:`port`, and reads until the server closes
 * the connection (send `Connection: close`) or `timeoutMs` passes.
 */
export function rawRequest(port: number, request: Buffer, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer (413, 431) and close before it has read everything.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseResponse(Buffer.concat(chunks)), timedOut });
    });
    // Written, not ended: the server closes the connection (`Connection: close`); a client that
    // half-closes first makes Node's server drop the request unanswered.
    socket.write(request);
  });
}

/** Status, headers and body of the last response in `raw`, skipping interim 1xx answers. */
function parseResponse(raw: Buffer): Omit<RawAnswer, 'timedOut'> {
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return { status: undefined, headers: {}, body: rest };
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
    if (!Number.isInteger(status)) return { status: undefined, headers: {}, body: rest };
    const body = rest.subarray(end + 4);
    if (status >= 100 && status < 200) {
      rest = body;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0)
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status, headers, body };
  }
}
