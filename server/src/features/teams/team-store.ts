import type { Knex } from 'knex';
import type { Role } from '../accounts/account-store.js';

/** A member of a project. */
export interface Member {
  readonly userId: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: Role;
  readonly joinedAt: Date;
}

/** An invitation not used yet and not expired. */
export interface PendingInvitation {
  readonly email: string;
  readonly role: Role;
  readonly invitedAt: Date;
  readonly expiresAt: Date;
}

/** Why a change of members was refused. */
export type MemberChangeRefusal = 'not_member' | 'last_owner';

/** Project memberships and pending invitations. */
export class TeamStore {
  constructor(private readonly db: Knex) {}

  async listMembers(projectId: string): Promise<Member[]> {
    const rows: {
      user_id: string;
      email: string;
      name: string | null;
      role: Role;
      created_at: Date;
    }[] = await this.db('project_members as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('m.project_id', projectId)
      .orderBy([{ column: 'm.created_at' }, { column: 'u.email' }])
      .select('m.user_id', 'u.email', 'u.name', 'm.role', 'm.created_at');
    return rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      name: r.name,
      role: r.role,
      joinedAt: r.created_at,
    }));
  }

  async listInvitations(projectId: string, at: Date): Promise<PendingInvitation[]> {
    const rows: { email: string; role: Role; created_at: Date; expires_at: Date }[] = await this.db(
      'sign_in_links',
    )
      .where({ project_id: projectId })
      .whereNull('used_at')
      .where('expires_at', '>', at)
      .orderBy('created_at')
      .select('email', 'role', 'created_at', 'expires_at');
    return rows.map((r) => ({
      email: r.email,
      role: r.role,
      invitedAt: r.created_at,
      expiresAt: r.expires_at,
    }));
  }

  /**
   * Cancels the project's pending invitations to `email` and/or sent by `invitedBy`; returns
   * how many.
   */
  async cancelInvitations(
    projectId: string,
    which: { readonly email?: string; readonly invitedBy?: string },
  ): Promise<number> {
    const rows: unknown[] = await this.db('sign_in_links')
      .where({ project_id: projectId })
      .whereNull('used_at')
      .where((q) => {
        if (which.email !== undefined) q.orWhere({ email: which.email });
        if (which.invitedBy !== undefined) q.orWhere({ invited_by: which.invitedBy });
      })
      .delete()
      .returning('token_hash');
    return rows.length;
  }

  async isMemberByEmail(projectId: string, email: string): Promise<boolean> {
    const row = await this.db('project_members as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where({ 'm.project_id': projectId, 'u.email': email })
      .first('m.user_id');
    return row !== undefined;
  }

  /**
   * Sets a member's role, or (role `null`) removes the member, unless that would leave the
   * project without an owner. The project's owners are locked first, so two concurrent
   * changes cannot both pass the check.
   */
  async changeMember(
    projectId: string,
    userId: string,
    role: Role | null,
  ): Promise<MemberChangeRefusal | undefined> {
    return this.db.transaction(async (trx) => {
      const owners: { user_id: string }[] = await trx('project_members')
        .where({ project_id: projectId, role: 'owner' })
        .orderBy('user_id')
        .forUpdate()
        .select('user_id');
      const member = await trx('project_members')
        .where({ project_id: projectId, user_id: userId })
        .forUpdate()
        .first('role');
      if (!member) return 'not_member';
      const losesOwner = member.role === 'owner' && role !== 'owner';
      if (losesOwner && owners.length <= 1) return 'last_owner';
      const where = { project_id: projectId, user_id: userId };
      if (role === null) await trx('project_members').where(where).delete();
      else await trx('project_members').where(where).update({ role });
      return undefined;
    });
  }
}
