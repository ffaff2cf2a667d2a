/**
 * `@vibariant/sdk/react`: `<VibariantProvider>`, `useVariant`, `useTrack` and `useVibariant`.
 * React is an optional peer dependency of the SDK.
 */
import {
  createContext,
  createElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
} from 'react';
import { createVibariant, type Vibariant, type VibariantOptions } from '../client/client.js';

const Context = createContext<Vibariant | null>(null);

/**
 * In a browser, one client per token, API host and visitor, whatever re-renders or
 * `<StrictMode>`'s double calls do: created once, then reused. On a server, a client per
 * render (nothing kept between requests; it fetches nothing and assigns with equal weights).
 */
const clients = new Map<string, Vibariant>();

function clientFor(options: VibariantOptions): Vibariant {
  if (!globalThis.document) return createVibariant(options);
  const key = `${options.token}\n${options.apiHost}\n${options.visitorId ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    client = createVibariant(options);
    clients.set(key, client);
  }
  return client;
}

export interface VibariantProviderProps extends VibariantOptions {
  /** An existing client instead of options (tests, or one made outside React). */
  readonly client?: Vibariant;
  readonly children?: ReactNode;
}

/**
 * Gives its children the Vibariant client. On a server render pass `visitorId` (the same as
 * the browser will use, from a cookie for instance) so that both render the same variants.
 */
export function VibariantProvider(props: VibariantProviderProps) {
  const { client, children, ...options } = props;
  const value = client ?? clientFor(options);
  // Consent given later (a banner): tracking starts; withdrawn: it stops, and is remembered.
  const consent = options.consent;
  const given = useRef(consent);
  useEffect(() => {
    if (consent === true) value.optIn();
    else if (consent === false && given.current === true) value.optOut();
    given.current = consent;
  }, [value, consent]);
  return createElement(Context.Provider, { value }, children);
}

/**
 * The client.
 * @throws Error outside a `<VibariantProvider>`.
 */
export function useVibariant(): Vibariant {
  const client = useContext(Context);
  if (!client) throw new Error('useVibariant needs a <VibariantProvider> above it');
  return client;
}

/**
 * The visitor's variant of an experiment, in the first render (no flicker): the same on the
 * server and in the browser for the same visitor ID. The exposure is sent once per page view,
 * after the component is shown.
 */
export function useVariant<const V extends string>(
  experimentKey: string,
  variants: readonly V[],
): V {
  const client = useVibariant();
  const key = variants.join('\n');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the variants' contents
  const variant = useMemo(
    () => client.peekVariant(experimentKey, variants) as V,
    [client, experimentKey, key],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the variants' contents
  useEffect(() => {
    client.getVariant(experimentKey, variants);
  }, [client, experimentKey, key]);
  return variant;
}

/** `track(goal, properties?)` of the client, stable across renders. */
export function useTrack(): Vibariant['track'] {
  const client = useVibariant();
  return useCallback<Vibariant['track']>(
    (goal, properties) => client.track(goal, properties),
    [client],
  );
}
