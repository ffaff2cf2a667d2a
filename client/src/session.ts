import { createResource } from 'solid-js';
import { ApiError, request } from './api/http.js';
import type { Me } from './api/types.js';

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

/** Signs out here and at the server. */
export async function signOut(): Promise<void> {
  await request('POST', '/auth/logout').catch(() => undefined);
  mutate(null);
}
