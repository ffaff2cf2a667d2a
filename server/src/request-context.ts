import { AsyncLocalStorage } from 'node:async_hooks';

/** Who made a change: a signed-in person, or a script with an API key. */
export type Actor =
  | { readonly kind: 'user'; readonly userId: string; readonly label: string }
  | { readonly kind: 'api_key'; readonly apiKeyId: string; readonly label: string };

const storage = new AsyncLocalStorage<Actor>();

/** Runs `work` (and everything it starts) on behalf of `actor`. */
export function actAs<T>(actor: Actor, work: () => T): T {
  return storage.run(actor, work);
}

/**
 * The actor of the request being served, so facts announced while serving it can say who did
 * it; undefined outside a request (ingestion, the bandit, the command line).
 */
export const currentActor = (): Actor | undefined => storage.getStore();
