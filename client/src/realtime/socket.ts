import type {
  ClientToServerEvents,
  Reply,
  ServerToClientEvents,
} from '@vibariant/server/realtime/contracts';
import { io, type Socket } from 'socket.io-client';

export type DashboardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let socket: DashboardSocket | undefined;

/**
 * The dashboard's one Socket.IO connection, to its own origin with the session cookie; it
 * reconnects by itself (the server checks the session again each time).
 */
export function liveSocket(): DashboardSocket {
  socket ??= io({ withCredentials: true, transports: ['websocket', 'polling'] });
  return socket;
}

/** Closes the connection (on sign-out). */
export function closeLiveSocket(): void {
  socket?.close();
  socket = undefined;
}

/**
 * Sends a command and waits for its acknowledgement.
 * @throws Error with the server's message when the command is refused.
 */
export function command<E extends keyof ClientToServerEvents, T>(
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
): Promise<T> {
  return new Promise((resolve, reject) => {
    const emit = liveSocket().emit as (
      event: string,
      payload: unknown,
      ack: (reply: Reply<T>) => void,
    ) => void;
    emit.call(liveSocket(), event, payload, (reply: Reply<T>) => {
      if (reply.ok) resolve(reply);
      else reject(new Error(reply.error.message));
    });
  });
}
