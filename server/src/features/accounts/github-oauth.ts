import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../errors/app-error.js';

/** Where GitHub is: github.com by default; tests point these at a local fake. */
export interface GitHubSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  /** `https://github.com/login/oauth/authorize` */
  readonly authorizeUrl: string;
  /** `https://github.com/login/oauth/access_token` */
  readonly tokenUrl: string;
  /** `https://api.github.com` */
  readonly apiUrl: string;
}

/** A GitHub account as sign-in needs it: its stable ID and its primary, verified address. */
export interface GitHubProfile {
  readonly id: string;
  readonly login: string;
  readonly name: string | null;
  /** Lower case. */
  readonly email: string;
}

/** One sign-in attempt's secrets, kept in the browser (signed cookie) until the callback. */
export interface PendingAuthorization {
  readonly state: string;
  /** PKCE code verifier (RFC 7636). */
  readonly verifier: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** 502: GitHub answered something sign-in cannot use. */
const githubFailed = (message: string) =>
  new AppError(502, 'github_failed', `GitHub sign-in failed: ${message}`, { field: 'github' });

/**
 * GitHub's OAuth web flow (authorization code, with `state` and PKCE S256) and the two API calls
 * sign-in needs: `GET /user` and `GET /user/emails`.
 */
export class GitHubOAuth {
  constructor(
    private readonly settings: GitHubSettings,
    /** Where GitHub sends the browser back: `<public URL>/auth/github/callback`. */
    private readonly redirectUri: string,
  ) {}

  /** A new attempt: random `state` and PKCE verifier (32 bytes each, base64url). */
  static pending(): PendingAuthorization {
    return {
      state: randomBytes(32).toString('base64url'),
      verifier: randomBytes(32).toString('base64url'),
    };
  }

  /** The URL of GitHub's consent page for this attempt. */
  authorizeUrl(pending: PendingAuthorization): string {
    const url = new URL(this.settings.authorizeUrl);
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('scope', 'read:user user:email');
    url.searchParams.set('state', pending.state);
    url.searchParams.set(
      'code_challenge',
      createHash('sha256').update(pending.verifier).digest('base64url'),
    );
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('allow_signup', 'true');
    return url.toString();
  }

  /**
   * Exchanges the callback's code for an access token, then reads the account and its primary
   * verified email.
   * @throws AppError 502 (field `github`) when GitHub refuses the code or answers unexpectedly;
   *   AppError 403 (field `email`) when the account has no primary verified email.
   */
  async profile(code: string, pending: PendingAuthorization): Promise<GitHubProfile> {
    const token = await this.call<{ access_token?: unknown; error?: unknown }>(
      this.settings.tokenUrl,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: this.settings.clientId,
          client_secret: this.settings.clientSecret,
          code,
          redirect_uri: this.redirectUri,
          code_verifier: pending.verifier,
        }).toString(),
      },
    );
    if (typeof token.access_token !== 'string') {
      throw githubFailed(typeof token.error === 'string' ? token.error : 'no access token');
    }
    const auth = { authorization: `Bearer ${token.access_token}` };
    const user = await this.call<{ id?: unknown; login?: unknown; name?: unknown }>(
      `${this.settings.apiUrl}/user`,
      { headers: auth },
    );
    const emails = await this.call<unknown>(`${this.settings.apiUrl}/user/emails`, {
      headers: auth,
    });
    if (typeof user.id !== 'number' && typeof user.id !== 'string') throw githubFailed('no user');
    const primary = Array.isArray(emails)
      ? (emails as { email?: unknown; primary?: unknown; verified?: unknown }[]).find(
          (e) => e.primary === true && e.verified === true && typeof e.email === 'string',
        )
      : undefined;
    if (!primary) {
      throw new AppError(
        403,
        'email_not_verified',
        'Your GitHub account has no verified primary email address',
        { field: 'email' },
      );
    }
    return {
      id: String(user.id),
      login: typeof user.login === 'string' ? user.login : '',
      name: typeof user.name === 'string' ? user.name : null,
      email: (primary.email as string).toLowerCase(),
    };
  }

  private async call<T>(url: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        headers: {
          accept: 'application/json',
          'user-agent': 'vibariant',
          ...(init.headers as Record<string, string>),
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw githubFailed(error instanceof Error ? error.message : 'unreachable');
    }
    if (!response.ok) throw githubFailed(`${new URL(url).pathname} answered ${response.status}`);
    try {
      return (await response.json()) as T;
    } catch {
      throw githubFailed(`${new URL(url).pathname} answered something other than JSON`);
    }
  }
}
