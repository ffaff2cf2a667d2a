import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers requests that Node's HTTP parser refuses before Express sees them in the API's own
 * error shape `{ error: { code, message, details } }`: 431 for headers over Node's limit
 * (16 KB), 400 for anything else it cannot parse. Node's default answer has no body.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      error: tooLarge
        ? {
            code: 'headers_too_large',
            message: 'The request headers are too large',
            details: { field: 'headers' },
          }
        : {
            code: 'bad_request',
            message: 'The request could not be parsed',
            details: { field: 'request' },
          },
    });
    socket.end(
      `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
