import { z } from 'zod';
import type { DomainEvents } from '../../domain-events.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors/app-error.js';
import { parseInput } from '../../validation.js';
import { type AccountService, emailAddress } from '../accounts/account-service.js';
import type { Role, User } from '../accounts/account-store.js';
import type { ProjectService } from '../projects/project-service.js';
import type { Member, PendingInvitation, TeamStore } from './team-store.js';

const role = z.enum(['owner', 'member']);
const invitationInput = z.object({ email: emailAddress, role: role.default('member') }).strict();
const roleInput = z.object({ role }).strict();

/** The request schemas this service validates with, also the API reference's (http/openapi.ts). */
export const teamInputs = { invitation: invitationInput, role: roleInput };

const lastOwner = () =>
  new ConflictError('A project keeps at least one owner: make someone else an owner first', {
    field: 'role',
  });

/** A project's team: members with roles, and invitations by email. */
export class TeamService {
  constructor(
    private readonly store: TeamStore,
    private readonly accounts: AccountService,
    private readonly projects: ProjectService,
    private readonly events: DomainEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * While nobody has signed in yet, invites `email` as an owner of the oldest project: the way
   * into a fresh install (its link is printed at start-up when no mail server is configured).
   * Earlier links stay valid (another server, or an earlier start, may have printed them).
   * @returns the invitation and its link, or null once a user exists or when there is no project.
   * @throws ValidationError (400, field `email`) when `email` is not an email address.
   */
  async inviteFirstOwner(
    email: string,
  ): Promise<{ projectId: string; email: string; expiresAt: Date; link: string } | null> {
    if (await this.accounts.hasUsers()) return null;
    const [oldest] = await this.projects.listProjects();
    if (!oldest) return null;
    const input = parseInput(invitationInput, { email, role: 'owner' });
    const { expiresAt, link } = await this.accounts.invite({
      projectId: oldest.id,
      projectName: oldest.name,
      email: input.email,
      role: 'owner',
      invitedBy: null,
    });
    return { projectId: oldest.id, email: input.email, expiresAt, link };
  }

  /** The members, oldest first, and the invitations still open. */
  async team(projectId: string): Promise<{ members: Member[]; invitations: PendingInvitation[] }> {
    return {
      members: await this.store.listMembers(projectId),
      invitations: await this.store.listInvitations(projectId, new Date(this.now())),
    };
  }

  /**
   * Invites `body.email` with `body.role` (default `member`): an email with a link that signs in
   * and joins the project. `inviter` is null for an operator at the command line. The link is
   * for the invitee's mailbox (or the operator's terminal) only: never put it in a response.
   * @throws ValidationError (400) naming `email` or `role`; ConflictError (409, field `email`)
   *   when the address is already a member.
   */
  async invite(
    projectId: string,
    inviter: User | null,
    body: unknown,
  ): Promise<{ invitation: { email: string; role: Role; expiresAt: Date }; link: string }> {
    const input = parseInput(invitationInput, body ?? {});
    if (await this.store.isMemberByEmail(projectId, input.email)) {
      throw new ConflictError(`${input.email} is already a member`, { field: 'email' });
    }
    const project = await this.projects.getProject(projectId);
    // A new invitation replaces any earlier one to the address: one pending link at a time.
    await this.store.cancelInvitations(projectId, { email: input.email });
    const { expiresAt, link } = await this.accounts.invite({
      projectId,
      projectName: project.name,
      email: input.email,
      role: input.role,
      invitedBy: inviter,
    });
    return { invitation: { email: input.email, role: input.role, expiresAt }, link };
  }

  /**
   * Cancels the pending invitations to an address (normalized as invitations are).
   * @throws ValidationError (400, field `email`); NotFoundError (404) when none is pending.
   */
  async cancelInvitation(projectId: string, email: string): Promise<void> {
    const { email: address } = parseInput(invitationInput.pick({ email: true }), { email }, 'path');
    if ((await this.store.cancelInvitations(projectId, { email: address })) === 0) {
      throw new NotFoundError('invitation', address);
    }
  }

  /**
   * Gives a member another role. An owner made a member loses the invitations they sent.
   * @throws ValidationError (400, field `role`); NotFoundError (404) for a user who is no
   *   member; ConflictError (409, field `role`) when the last owner would be demoted.
   */
  async changeRole(projectId: string, userId: string, body: unknown): Promise<Member> {
    const { role: next } = parseInput(roleInput, body ?? {});
    await this.apply(projectId, userId, next);
    if (next === 'member') await this.store.cancelInvitations(projectId, { invitedBy: userId });
    const member = (await this.store.listMembers(projectId)).find((m) => m.userId === userId);
    if (!member) throw new NotFoundError('member', userId);
    return member;
  }

  /**
   * Removes a member (owners remove anyone; members may remove themselves: leaving), and the
   * pending invitations to their address and those they sent, so that no link brings them
   * back.
   * @throws ForbiddenError (403) when a member removes someone else; NotFoundError (404) for a
   *   user who is no member; ConflictError (409) when the last owner would leave.
   */
  async removeMember(
    projectId: string,
    userId: string,
    by: { userId: string | null; role: Role },
  ): Promise<void> {
    if (by.role !== 'owner' && by.userId !== userId) {
      throw new ForbiddenError('Only an owner of this project can do this');
    }
    const member = (await this.store.listMembers(projectId)).find((m) => m.userId === userId);
    await this.apply(projectId, userId, null);
    if (member) {
      await this.store.cancelInvitations(projectId, { email: member.email, invitedBy: userId });
    }
    this.events.emit('member:removed', { projectId, userId });
  }

  private async apply(projectId: string, userId: string, next: Role | null): Promise<void> {
    const refused = await this.store.changeMember(projectId, userId, next);
    if (refused === 'not_member') throw new NotFoundError('member', userId);
    if (refused === 'last_owner') throw lastOwner();
  }
}
