import type { Knex } from 'knex';

/** A person who signs in to the dashboard. */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly createdAt: Date;
}

/** A project member's role: owners also manage members, tokens, API keys and webhooks. */
export type Role = 'owner' | 'member';

/** What a used sign-in link carried. */
export interface UsedLink {
  readonly email: string;
  /** Set for an invitation: the project to join, with this role. */
  readonly projectId: string | null;
  readonly role: Role | null;
}

/** A refresh token's row. */
export interface RefreshSession {
  readonly familyId: string;
  readonly userId: string;
  readonly expiresAt: Date;
  readonly replacedAt: Date | null;
  readonly revokedAt: Date | null;
}

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  created_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  createdAt: r.created_at,
});

/** Users, sign-in links, refresh sessions, linked identities and project memberships. */
export class AccountStore {
  constructor(private readonly db: Knex) {}

  async findUserById(id: string): Promise<User | undefined> {
    const row = await this.db<UserRow>('users').where({ id }).first();
    return row ? toUser(row) : undefined;
  }

  async findUserByEmail(email: string): Promise<User | undefined> {
    const row = await this.db<UserRow>('users').where({ email }).first();
    return row ? toUser(row) : undefined;
  }

  /** Whether any user exists (has ever signed in or accepted an invitation). */
  async hasUsers(): Promise<boolean> {
    return (await this.db('users').first('id')) !== undefined;
  }

  /** The user with this email, created (with `id`) if there is none yet. */
  async findOrCreateUser(id: string, email: string, name: string | null, at: Date): Promise<User> {
    await this.db('users').insert({ id, email, name, created_at: at }).onConflict('email').ignore();
    const user = await this.findUserByEmail(email);
    if (!user) throw new Error(`user ${email} vanished after insert`);
    return user;
  }

  async insertLink(link: {
    tokenHash: string;
    email: string;
    projectId: string | null;
    role: Role | null;
    invitedBy: string | null;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.db('sign_in_links').insert({
      token_hash: link.tokenHash,
      email: link.email,
      project_id: link.projectId,
      role: link.role,
      invited_by: link.invitedBy,
      created_at: link.createdAt,
      expires_at: link.expiresAt,
    });
  }

  /**
   * Marks the link used, once: only an unused link that has not expired at `at` is used; a
   * second call for the same link finds nothing.
   */
  async useLink(tokenHash: string, at: Date): Promise<UsedLink | undefined> {
    const rows: { email: string; project_id: string | null; role: Role | null }[] = await this.db(
      'sign_in_links',
    )
      .where({ token_hash: tokenHash })
      .whereNull('used_at')
      .where('expires_at', '>', at)
      .update({ used_at: at })
      .returning(['email', 'project_id', 'role']);
    const row = rows[0];
    return row ? { email: row.email, projectId: row.project_id, role: row.role } : undefined;
  }

  async insertRefreshSession(session: {
    tokenHash: string;
    familyId: string;
    userId: string;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.db('refresh_sessions').insert({
      token_hash: session.tokenHash,
      family_id: session.familyId,
      user_id: session.userId,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    });
  }

  async findRefreshSession(tokenHash: string): Promise<RefreshSession | undefined> {
    const row = await this.db('refresh_sessions').where({ token_hash: tokenHash }).first();
    return row
      ? {
          familyId: row.family_id,
          userId: row.user_id,
          expiresAt: row.expires_at,
          replacedAt: row.replaced_at,
          revokedAt: row.revoked_at,
        }
      : undefined;
  }

  /**
   * Replaces a refresh token by the next one of its family, in one transaction; false (and
   * nothing written) when it was already replaced or revoked meanwhile.
   */
  async rotateRefreshSession(
    oldHash: string,
    next: { tokenHash: string; familyId: string; userId: string; expiresAt: Date },
    at: Date,
  ): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const replaced = await trx('refresh_sessions')
        .where({ token_hash: oldHash })
        .whereNull('replaced_at')
        .whereNull('revoked_at')
        .update({ replaced_at: at })
        .returning('token_hash');
      if (replaced.length === 0) return false;
      await trx('refresh_sessions').insert({
        token_hash: next.tokenHash,
        family_id: next.familyId,
        user_id: next.userId,
        created_at: at,
        expires_at: next.expiresAt,
      });
      return true;
    });
  }

  /** Revokes every refresh token of the family (sign-out, or a replayed token). */
  async revokeFamily(familyId: string, at: Date): Promise<void> {
    await this.db('refresh_sessions')
      .where({ family_id: familyId })
      .whereNull('revoked_at')
      .update({ revoked_at: at });
  }

  /**
   * Whether the sign-in session (family) of `userId` is still live at `at`: theirs, not revoked,
   * not expired.
   */
  async isSessionLive(familyId: string, userId: string, at: Date): Promise<boolean> {
    const row = await this.db('refresh_sessions')
      .where({ family_id: familyId, user_id: userId })
      .whereNull('revoked_at')
      .where('expires_at', '>', at)
      .first('token_hash');
    return row !== undefined;
  }

  async findIdentity(provider: string, subject: string): Promise<string | undefined> {
    const row = await this.db('user_identities').where({ provider, subject }).first('user_id');
    return row?.user_id;
  }

  async linkIdentity(provider: string, subject: string, userId: string, at: Date): Promise<void> {
    await this.db('user_identities')
      .insert({ provider, subject, user_id: userId, created_at: at })
      .onConflict(['provider', 'subject'])
      .ignore();
  }

  /** The user's role in the project, or undefined when not a member. */
  async roleOf(projectId: string, userId: string): Promise<Role | undefined> {
    const row = await this.db('project_members')
      .where({ project_id: projectId, user_id: userId })
      .first('role');
    return row?.role;
  }

  /** Adds the member, or keeps the existing membership as it is. */
  async addMember(projectId: string, userId: string, role: Role, at: Date): Promise<void> {
    await this.db('project_members')
      .insert({ project_id: projectId, user_id: userId, role, created_at: at })
      .onConflict(['project_id', 'user_id'])
      .ignore();
  }

  /** The projects the user belongs to, with the role in each. */
  async membershipsOf(userId: string): Promise<{ projectId: string; role: Role }[]> {
    const rows: { project_id: string; role: Role }[] = await this.db('project_members')
      .where({ user_id: userId })
      .orderBy('created_at')
      .select('project_id', 'role');
    return rows.map((r) => ({ projectId: r.project_id, role: r.role }));
  }
}
