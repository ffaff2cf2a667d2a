import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { DomainEvents } from '../../domain-events.js';
import { ForbiddenError, UnauthorizedError } from '../../errors/app-error.js';
import { parseInput } from '../../validation.js';
import { newId } from '../projects/credentials.js';
import type { AccountStore, Role, User } from './account-store.js';
import type { GitHubProfile, PendingAuthorization } from './github-oauth.js';
import type { Mailer } from './mailer.js';
import type { SessionTokens } from './session-tokens.js';

/** How long a sign-in link works, in milliseconds: 15 minutes. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;
/** How long an invitation link works, in milliseconds: 7 days. */
export const INVITATION_TTL_MS = 7 * 86_400_000;
/** How long a sign-in session lasts without being refreshed, in milliseconds: 30 days. */
export const REFRESH_TTL_MS = 30 * 86_400_000;
/**
 * A refresh token replaced less than this many milliseconds ago is refused without revoking its
 * session: two tabs refreshing at once. Older replays revoke the whole session.
 */
const REPLAY_GRACE_MS = 10_000;

const REFRESH_TOKEN_PREFIX = 'vv_rt_';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,100}$/;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const randomToken = () => randomBytes(32).toString('base64url');

/** An email address as stored: trimmed, lower case, at most 254 characters. */
export const emailAddress = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'must be an email address' }));

const emailSchema = z.object({ email: emailAddress });

/** The request schemas this service validates with, also the API reference's (http/openapi.ts). */
export const accountInputs = { signInLink: emailSchema };

const csrfRefused = () =>
  new ForbiddenError("Send the session's CSRF token in the X-CSRF-Token header", {
    field: 'x-csrf-token',
  });

/** A signed-in session as the HTTP layer puts it into cookies. */
export interface SessionGrant {
  readonly user: User;
  readonly sessionId: string;
  /** JWT, valid for 15 minutes. */
  readonly accessToken: string;
  /** Opaque, single use: each refresh hands out the next one. */
  readonly refreshToken: string;
  readonly refreshExpiresAt: Date;
  readonly csrfToken: string;
}

/** Who an access token belongs to. */
export interface Authenticated {
  readonly user: User;
  readonly sessionId: string;
}

export interface AccountServiceOptions {
  /** Where the dashboard is served, for the links in emails (no trailing slash). */
  readonly publicUrl: string;
}

/**
 * Sign-in by email link, sessions (a short-lived access JWT and a rotating refresh token), and
 * memberships. Times come from `now`, in milliseconds since the epoch.
 */
export class AccountService {
  constructor(
    private readonly store: AccountStore,
    private readonly tokens: SessionTokens,
    private readonly mailer: Mailer,
    private readonly options: AccountServiceOptions,
    private readonly events: DomainEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Sends a single-use sign-in link to the address in `body.email` (created on first use). The
   * outcome is the same whether or not the address belongs to a user.
   * @throws ValidationError (400, field `email`) when it is not an email address.
   */
  async requestSignInLink(body: unknown): Promise<void> {
    const { email } = parseInput(emailSchema, body);
    const token = randomToken();
    const at = this.now();
    await this.store.insertLink({
      tokenHash: sha256(token),
      email,
      projectId: null,
      role: null,
      invitedBy: null,
      createdAt: new Date(at),
      expiresAt: new Date(at + SIGN_IN_LINK_TTL_MS),
    });
    await this.mailer.send({
      to: email,
      subject: 'Your Vibariant sign-in link',
      text: [
        'Open this link to sign in to Vibariant:',
        '',
        this.linkUrl(token),
        '',
        'It works once, for 15 minutes. If you did not ask for it, ignore this message.',
      ].join('\n'),
    });
  }

  /**
   * Sends an invitation to join a project: a sign-in link, valid for 7 days, that also adds the
   * membership when used. `email` must be normalized (trimmed, lower case); `invitedBy` is null
   * when an operator invites from the command line.
   * @returns when the invitation expires, and the link: it signs in as `email`, so it goes
   *   only to that address (and to an operator's terminal), never into an API response.
   */
  async invite(invitation: {
    projectId: string;
    projectName: string;
    email: string;
    role: Role;
    invitedBy: User | null;
  }): Promise<{ expiresAt: Date; link: string }> {
    const token = randomToken();
    const at = this.now();
    const expiresAt = new Date(at + INVITATION_TTL_MS);
    await this.store.insertLink({
      tokenHash: sha256(token),
      email: invitation.email,
      projectId: invitation.projectId,
      role: invitation.role,
      invitedBy: invitation.invitedBy?.id ?? null,
      createdAt: new Date(at),
      expiresAt,
    });
    await this.mailer.send({
      to: invitation.email,
      subject: `Join ${invitation.projectName} on Vibariant`,
      text: [
        `${invitation.invitedBy?.email ?? 'You were'} invited ${invitation.invitedBy ? 'you ' : ''}to the project "${invitation.projectName}" on Vibariant, as ${invitation.role === 'owner' ? 'an owner' : 'a member'}.`,
        '',
        'Open this link to accept and sign in:',
        '',
        this.linkUrl(token),
        '',
        'It works once, for 7 days.',
      ].join('\n'),
    });
    return { expiresAt, link: this.linkUrl(token) };
  }

  /**
   * Uses a sign-in link: creates the user on first sign-in, adds the membership an invitation
   * carries, and starts a session.
   * @throws UnauthorizedError (401, field `token`) when the link is unknown, used or expired.
   */
  async signInWithLink(token: unknown): Promise<SessionGrant & { joinedProjectId?: string }> {
    const invalid = () =>
      new UnauthorizedError('This sign-in link is invalid, used or expired', { field: 'token' });
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) throw invalid();
    const at = new Date(this.now());
    const link = await this.store.useLink(sha256(token), at);
    if (!link) throw invalid();
    const user = await this.store.findOrCreateUser(newId(), link.email, null, at);
    if (link.projectId && link.role) {
      await this.store.addMember(link.projectId, user.id, link.role, at);
      return { ...(await this.startSession(user)), joinedProjectId: link.projectId };
    }
    return this.startSession(user);
  }

  /**
   * Signs in with a GitHub account: the user it was linked to before, else the user with its
   * verified primary email (linked now), else a new user.
   */
  async signInWithGitHub(profile: GitHubProfile): Promise<SessionGrant> {
    const at = new Date(this.now());
    const linked = await this.store.findIdentity('github', profile.id);
    let user = linked ? await this.store.findUserById(linked) : undefined;
    if (!user) {
      user = await this.store.findOrCreateUser(newId(), profile.email, profile.name, at);
      await this.store.linkIdentity('github', profile.id, user.id, at);
    }
    return this.startSession(user);
  }

  /** An OAuth attempt's state and verifier, sealed for a cookie. */
  sealOAuthAttempt(attempt: PendingAuthorization): Promise<string> {
    return this.tokens.sealOAuthAttempt(attempt);
  }

  /** The attempt a cookie sealed; undefined when tampered with or expired. */
  openOAuthAttempt(sealed: string): Promise<PendingAuthorization | undefined> {
    return this.tokens.openOAuthAttempt(sealed);
  }

  /** Starts a new sign-in session for `user`. */
  async startSession(user: User): Promise<SessionGrant> {
    const sessionId = newId();
    const refreshToken = REFRESH_TOKEN_PREFIX + randomToken();
    const at = this.now();
    const refreshExpiresAt = new Date(at + REFRESH_TTL_MS);
    await this.store.insertRefreshSession({
      tokenHash: sha256(refreshToken),
      familyId: sessionId,
      userId: user.id,
      createdAt: new Date(at),
      expiresAt: refreshExpiresAt,
    });
    return this.grant(user, sessionId, refreshToken, refreshExpiresAt);
  }

  /**
   * Exchanges a refresh token for a new access token and the next refresh token, given the
   * session's CSRF token. A token that was already exchanged (more than a few seconds ago)
   * revokes its whole session.
   * @throws UnauthorizedError (401) when the token is missing, unknown, replaced, revoked or
   *   expired (with `details.superseded` when it was replaced within the grace: the browser's
   *   cookies are already the new ones); ForbiddenError (403, field `x-csrf-token`) without the
   *   session's CSRF token.
   */
  async refresh(
    refreshToken: string | undefined,
    csrfToken: string | undefined,
  ): Promise<SessionGrant> {
    const refused = () => new UnauthorizedError('Sign in again', { field: 'refresh_token' });
    if (!refreshToken?.startsWith(REFRESH_TOKEN_PREFIX)) throw refused();
    const hash = sha256(refreshToken);
    const session = await this.store.findRefreshSession(hash);
    const at = this.now();
    if (!session || session.revokedAt || session.expiresAt.getTime() <= at) throw refused();
    if (!this.tokens.checkCsrf(session.familyId, csrfToken)) throw csrfRefused();
    if (session.replacedAt) {
      if (at - session.replacedAt.getTime() <= REPLAY_GRACE_MS) {
        // Another tab refreshed first: its cookies are the browser's now; keep them.
        throw new UnauthorizedError('This session was just refreshed: use its new cookies', {
          field: 'refresh_token',
          superseded: true,
        });
      }
      await this.store.revokeFamily(session.familyId, new Date(at));
      this.events.emit('session:ended', { sessionId: session.familyId });
      throw refused();
    }
    const user = await this.store.findUserById(session.userId);
    if (!user) throw refused();
    const next = REFRESH_TOKEN_PREFIX + randomToken();
    const expiresAt = new Date(at + REFRESH_TTL_MS);
    const rotated = await this.store.rotateRefreshSession(
      hash,
      { tokenHash: sha256(next), familyId: session.familyId, userId: user.id, expiresAt },
      new Date(at),
    );
    if (!rotated) throw refused();
    return this.grant(user, session.familyId, next, expiresAt);
  }

  /**
   * Ends the session the refresh token belongs to (every token of it), given the session's CSRF
   * token. Without a known token there is nothing to end.
   * @throws ForbiddenError (403, field `x-csrf-token`) without the session's CSRF token.
   */
  async signOut(refreshToken: string | undefined, csrfToken: string | undefined): Promise<void> {
    if (!refreshToken?.startsWith(REFRESH_TOKEN_PREFIX)) return;
    const session = await this.store.findRefreshSession(sha256(refreshToken));
    if (!session) return;
    if (!this.tokens.checkCsrf(session.familyId, csrfToken)) throw csrfRefused();
    await this.store.revokeFamily(session.familyId, new Date(this.now()));
    this.events.emit('session:ended', { sessionId: session.familyId });
  }

  /**
   * The user and session of a valid access token whose session is still live; undefined
   * otherwise (malformed, tampered, expired, signed out).
   */
  async authenticate(accessToken: string): Promise<Authenticated | undefined> {
    const claims = await this.tokens.verify(accessToken);
    if (!claims) return undefined;
    return this.liveSession(claims.sessionId, claims.userId);
  }

  /**
   * The user of a sign-in session that is still live (not ended, not expired), whatever its
   * access tokens: a connection authenticated once keeps working while its session lives.
   */
  async liveSession(sessionId: string, userId: string): Promise<Authenticated | undefined> {
    const live = await this.store.isSessionLive(sessionId, userId, new Date(this.now()));
    if (!live) return undefined;
    const user = await this.store.findUserById(userId);
    return user ? { user, sessionId } : undefined;
  }

  /** The session's CSRF token, which the dashboard echoes in `X-CSRF-Token`. */
  csrfTokenOf(sessionId: string): string {
    return this.tokens.csrfToken(sessionId);
  }

  /** Whether `presented` is the CSRF token of the session (constant-time comparison). */
  checkCsrf(sessionId: string, presented: string | undefined): boolean {
    return this.tokens.checkCsrf(sessionId, presented);
  }

  /** Whether anyone has signed in yet. */
  hasUsers(): Promise<boolean> {
    return this.store.hasUsers();
  }

  /** The user with this ID. */
  findUser(id: string): Promise<User | undefined> {
    return this.store.findUserById(id);
  }

  /** The user's role in the project, or undefined when not a member. */
  roleOf(projectId: string, userId: string): Promise<Role | undefined> {
    return this.store.roleOf(projectId, userId);
  }

  /** The projects the user belongs to, with the role in each. */
  membershipsOf(userId: string): Promise<{ projectId: string; role: Role }[]> {
    return this.store.membershipsOf(userId);
  }

  /** Makes the user a member of a project (the creator of a project is its first owner). */
  async addMember(projectId: string, userId: string, role: Role): Promise<void> {
    await this.store.addMember(projectId, userId, role, new Date(this.now()));
  }

  /** The URL a sign-in link opens. */
  private linkUrl(token: string): string {
    return `${this.options.publicUrl}/auth/magic-link/verify?token=${token}`;
  }

  private async grant(
    user: User,
    sessionId: string,
    refreshToken: string,
    refreshExpiresAt: Date,
  ): Promise<SessionGrant> {
    return {
      user,
      sessionId,
      accessToken: await this.tokens.sign({ userId: user.id, sessionId }),
      refreshToken,
      refreshExpiresAt,
      csrfToken: this.tokens.csrfToken(sessionId),
    };
  }
}
