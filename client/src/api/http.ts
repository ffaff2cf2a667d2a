/**
 * The dashboard's HTTP client: same-origin JSON with the session cookies, the CSRF token from
 * its cookie on every change, and one refresh of the session when the access token expired.
 */

/** A refusal from the API: its status, code, message and the field it names (if any). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const CSRF_COOKIE = 'vv_csrf';

/** The CSRF token the server put in its (readable) cookie. */
function csrfToken(): string | undefined {
  const match = document.cookie.match(new RegExp(`(?:^|; )${CSRF_COOKIE}=([^;]*)`));
  return match ? decodeURIComponent(match[1] as string) : undefined;
}

let refreshing: Promise<boolean> | undefined;
let signedOut: (() => void) | undefined;

/** Calls `handler` when the session is gone for good (ended elsewhere, or expired). */
export function whenSignedOut(handler: () => void): void {
  signedOut = handler;
}

/** Renews the session once for every request that found it expired at the same time. */
function refreshSession(): Promise<boolean> {
  refreshing ??= fetch('/auth/refresh', { method: 'POST', headers: csrfHeaders() })
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

function csrfHeaders(): Record<string, string> {
  const token = csrfToken();
  return token ? { 'x-csrf-token': token } : {};
}

/**
 * Calls the API: `body` is sent as JSON; the answer is parsed JSON (undefined for 204).
 * @throws ApiError on any status but 2xx, after one session refresh on 401.
 */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const send = () =>
    fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'GET' ? {} : csrfHeaders()),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  let response = await send();
  if (response.status === 401 && path !== '/auth/refresh' && (await refreshSession())) {
    response = await send();
  }
  if (response.status === 401 && path !== '/auth/me') signedOut?.();
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (
      parsed as { error?: { code?: string; message?: string; details?: { field?: string } } }
    )?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `${response.status} ${response.statusText}`,
      error?.details?.field,
    );
  }
  return parsed as T;
}

/** `request` for a project's routes: `path` is below `/api/projects/:projectId`. */
export const projectApi = <T>(projectId: string, method: string, path: string, body?: unknown) =>
  request<T>(method, `/api/projects/${encodeURIComponent(projectId)}${path}`, body);
