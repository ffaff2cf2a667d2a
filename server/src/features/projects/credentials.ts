import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Prefix of public project tokens, safe to ship in web pages. */
export const PROJECT_TOKEN_PREFIX = 'vv_proj_';
/** Prefix of secret API keys, for servers and scripts only. */
export const API_KEY_PREFIX = 'vv_sk_';
/** Characters of an API key kept in clear so people can tell keys apart. */
const VISIBLE_KEY_CHARACTERS = API_KEY_PREFIX.length + 6;

/** A new random identifier for a stored row. */
export const newId = (): string => randomUUID();

/** A new public project token: `vv_proj_` and 24 random base64url characters (144 bits). */
export const newProjectToken = (): string =>
  PROJECT_TOKEN_PREFIX + randomBytes(18).toString('base64url');

/** A new secret API key: `vv_sk_` and 43 random base64url characters (256 bits). */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, VISIBLE_KEY_CHARACTERS), hash: hashApiKey(key) };
}

/** Hex SHA-256 of an API key: what is stored and looked up, never the key itself. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');
