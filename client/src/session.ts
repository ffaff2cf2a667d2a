import { createResource } from 'solid-js';
import { ApiError, request, whenSignedOut } from './api/http.js';
import type { Me } from './api/types.js';
import { closeLiveSocket } from './realtime/socket.js';

/** Who is signed in (undefined while loading, null when nobody is). */
const [me, { refetch, mutate }] = createResource(async (): Promise<Me | null> => {
  try {
    return await request<Me>('GET', '/auth/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
});

export const session = { me, reload: refetch };

/** The dashboard's tabs tell each other when one signs out. */
const tabs =
  typeof BroadcastChannel === 'function' ? new BroadcastChannel('vibariant-session') : null;

/** The session is over in this tab: no live connection, and the sign-in page (see `App`). */
function ended(): void {
  closeLiveSocket();
  mutate(null);
}

whenSignedOut(ended);
tabs?.addEventListener('message', (event) => {
  if (event.data === 'signed-out') ended();
});

/** Signs out here, at the server, and in the dashboard's other tabs. */
export async function signOut(): Promise<void> {
  await request('POST', '/auth/logout').catch(() => undefined);
  tabs?.postMessage('signed-out');
  ended();
}
