import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/** Lifetime of an access token (and of its cookie), in milliseconds: 15 minutes. */
export const ACCESS_TOKEN_TTL_MS = 15 * 60_000;

const ISSUER = 'vibariant';
const AUDIENCE = 'vibariant-dashboard';
/** Audience of the cookie that carries an OAuth attempt's state and PKCE verifier. */
const OAUTH_AUDIENCE = 'vibariant-oauth';
/** How long a sign-in at GitHub may take, in milliseconds: 10 minutes. */
export const OAUTH_ATTEMPT_TTL_MS = 10 * 60_000;

/** What an access token says: the user and the sign-in session (refresh family) it belongs to. */
export interface AccessClaims {
  readonly userId: string;
  readonly sessionId: string;
}

/**
 * The key that signs sessions: `JWT_SECRET` when set (at least 32 characters), else a random one
 * generated once and kept in `secretFile` (mode 0600), so sessions survive restarts.
 * @throws Error when `JWT_SECRET` is set but shorter than 32 characters.
 */
export function loadSessionSecret(configured: string | undefined, secretFile: string): Uint8Array {
  if (configured !== undefined) {
    if (configured.length < 32) throw new Error('JWT_SECRET: must be at least 32 characters');
    return new TextEncoder().encode(configured);
  }
  if (!existsSync(secretFile)) {
    mkdirSync(dirname(secretFile), { recursive: true });
    writeFileSync(secretFile, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(secretFile, 0o600);
  return new TextEncoder().encode(readFileSync(secretFile, 'utf8').trim());
}

/**
 * Signs and checks access tokens (HS256 JWTs with jose) and derives each session's CSRF token.
 * Times come from `now` (milliseconds since the epoch), so tests can move the clock.
 */
export class SessionTokens {
  constructor(
    private readonly secret: Uint8Array,
    private readonly now: () => number,
  ) {}

  /** A signed access token for the session, valid for {@link ACCESS_TOKEN_TTL_MS}. */
  sign(claims: AccessClaims): Promise<string> {
    return this.seal({ sid: claims.sessionId, sub: claims.userId }, AUDIENCE, ACCESS_TOKEN_TTL_MS);
  }

  /**
   * The claims of a valid access token; undefined when it is malformed, tampered with, signed
   * with another key or algorithm, or expired.
   */
  async verify(token: string): Promise<AccessClaims | undefined> {
    const payload = await this.open(token, AUDIENCE);
    if (typeof payload?.sub !== 'string' || typeof payload.sid !== 'string') return undefined;
    return { userId: payload.sub, sessionId: payload.sid };
  }

  /** An OAuth attempt's `state` and PKCE verifier, signed, for a cookie (10 minutes). */
  sealOAuthAttempt(attempt: { state: string; verifier: string }): Promise<string> {
    return this.seal(
      { state: attempt.state, verifier: attempt.verifier },
      OAUTH_AUDIENCE,
      OAUTH_ATTEMPT_TTL_MS,
    );
  }

  /** The attempt sealed in `token`; undefined when tampered with or older than 10 minutes. */
  async openOAuthAttempt(token: string): Promise<{ state: string; verifier: string } | undefined> {
    const payload = await this.open(token, OAUTH_AUDIENCE);
    if (typeof payload?.state !== 'string' || typeof payload.verifier !== 'string') {
      return undefined;
    }
    return { state: payload.state, verifier: payload.verifier };
  }

  /** An HS256 JWT of `claims` for `audience`, expiring after `ttlMs`. */
  private seal(claims: JWTPayload, audience: string, ttlMs: number): Promise<string> {
    const issuedAt = Math.floor(this.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlMs / 1000)
      .sign(this.secret);
  }

  /** The claims of a JWT this class sealed for `audience`, still valid; else undefined. */
  private async open(token: string, audience: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience,
        currentDate: new Date(this.now()),
      });
      return payload;
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  }

  /** The CSRF token of a session: HMAC-SHA256 of its ID under the session key, base64url. */
  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.secret).update(`csrf\n${sessionId}`).digest('base64url');
  }

  /** Whether `presented` is the session's CSRF token (compared in constant time). */
  checkCsrf(sessionId: string, presented: string | undefined): boolean {
    return sameSecret(presented, this.csrfToken(sessionId));
  }
}

/** Whether two secrets are equal, compared in constant time (for equal lengths). */
export function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
