import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** The requests a server has received and not yet answered, and how to wind them down. */
export interface RequestTracker {
  /** Unanswered requests and their responses (kept up to date). */
  readonly inFlight: Map<IncomingMessage, ServerResponse>;
  /**
   * From now on every answer says `Connection: close`, those in flight included: a keep-alive
   * client would otherwise send its next request on the same connection, which then never
   * becomes idle, and the shutdown would wait for its timeout.
   */
  drain(): void;
}

/** Starts tracking the requests `server` receives. */
export function trackRequests(server: Server): RequestTracker {
  const inFlight = new Map<IncomingMessage, ServerResponse>();
  let draining = false;
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight.set(req, res);
    res.once('close', () => inFlight.delete(req));
    if (draining) closeAfter(res);
  });
  return {
    inFlight,
    drain: () => {
      draining = true;
      for (const res of inFlight.values()) closeAfter(res);
    },
  };
}

/** The request IDs (see `http/request-log.ts`) of `requests`, for the shutdown's log lines. */
export const requestIds = (requests: Map<IncomingMessage, ServerResponse>): string[] =>
  [...requests.keys()].map((req) => String((req as IncomingMessage & { id?: unknown }).id ?? '?'));

/**
 * Stops accepting connections, closes idle keep-alive ones, and resolves when the requests in
 * flight have been answered, or after `timeoutMs`, when the remaining connections are cut
 * (`onTimeout` is called first).
 */
export function closeHttp(server: Server, timeoutMs: number, onTimeout: () => void): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      onTimeout();
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
