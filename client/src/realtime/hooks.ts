import type { ServerToClientEvents } from '@vibariant/server/realtime/contracts';
import { onCleanup } from 'solid-js';
import { liveSocket } from './socket.js';

/** Calls `handler` on every `event` from the server while the calling component lives. */
export function onLive<E extends keyof ServerToClientEvents>(
  event: E,
  handler: ServerToClientEvents[E],
): void {
  const socket = liveSocket();
  // biome-ignore lint/suspicious/noExplicitAny: Socket.IO's typed overloads do not take a generic event
  socket.on(event, handler as any);
  // biome-ignore lint/suspicious/noExplicitAny: as above
  onCleanup(() => socket.off(event, handler as any));
}

/**
 * Runs `join` now and after every reconnection (a new connection starts in no room), while the
 * calling component lives; `leave` runs when it goes.
 */
export function inRoom(join: () => void, leave?: () => void): void {
  const socket = liveSocket();
  if (socket.connected) join();
  socket.on('connect', join);
  onCleanup(() => {
    socket.off('connect', join);
    leave?.();
  });
}
