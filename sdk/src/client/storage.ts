/** A string key-value store: localStorage when it works, else memory. */
export interface KeyValue {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

/** A store in memory only (for this page view). */
export function memoryStorage(): KeyValue {
  const map = new Map<string, string>();
  return {
    get: (key) => map.get(key) ?? null,
    set: (key, value) => void map.set(key, value),
    remove: (key) => void map.delete(key),
  };
}

/**
 * `localStorage` when it can be written and read back, else memory: Safari's private mode,
 * blocked cookies, a full quota or a server render never break the page. Later failures (the
 * quota filling up) fall back to memory for that key.
 */
export function safeStorage(): KeyValue {
  const memory = memoryStorage();
  let local: Storage | undefined;
  try {
    local = globalThis.localStorage;
    local.setItem('vv:probe', '1');
    local.removeItem('vv:probe');
  } catch {
    return memory;
  }
  const store = local;
  return {
    get(key) {
      try {
        return store.getItem(key) ?? memory.get(key);
      } catch {
        return memory.get(key);
      }
    },
    set(key, value) {
      try {
        store.setItem(key, value);
      } catch {
        memory.set(key, value);
      }
    },
    remove(key) {
      memory.remove(key);
      try {
        store.removeItem(key);
      } catch {
        // memory only
      }
    },
  };
}

/**
 * Parses stored JSON, or `fallback` when it is absent, damaged or of another shape than
 * `fallback` (an array for an array, an object for an object).
 */
export function readJson<T>(storage: KeyValue, key: string, fallback: T): T {
  try {
    const value = JSON.parse(storage.get(key) as string) as unknown;
    return typeof value === 'object' && value && Array.isArray(value) === Array.isArray(fallback)
      ? (value as T)
      : fallback;
  } catch {
    return fallback;
  }
}
