/**
 * Teams: owners invite by email (an emailed link that signs in and joins), change roles and
 * remove members; members work on experiments but not on credentials; the last owner stays.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVITATIONS_PER_PROJECT_PER_HOUR } from '../src/features/teams/team-router.js';
import { Browser, linkTokenFromMail, signedIn } from './support/browser.js';
import { decisiveEvents } from './support/events.js';
import type { Mailbox } from './support/mailbox.js';
import { type ServerWithMail, startServerWithMail } from './support/server-with-mail.js';
import type { TestServer } from './support/test-server.js';

let server: TestServer;
let mailbox: Mailbox;
let running: ServerWithMail | undefined;

beforeAll(async () => {
  running = await startServerWithMail({ publicUrl: 'http://dashboard.test' });
  ({ server, mailbox } = running);
});

afterAll(() => running?.close());

const signIn = (email: string) => signedIn(server.url, mailbox, email);

/** A project owned by a new user; returns the owner's browser and the project ID. */
async function ownedProject(owner: string): Promise<{ owner: Browser; projectId: string }> {
  const browser = await signIn(owner);
  const created = await browser.fetch('POST', '/api/projects', {
    json: { name: `${owner}'s app` },
  });
  expect(created.status).toBe(201);
  return { owner: browser, projectId: created.body.project.id };
}

/** Invites `email`, then uses the emailed link in a new browser. */
async function inviteAndJoin(
  owner: Browser,
  projectId: string,
  email: string,
  role?: 'owner' | 'member',
): Promise<Browser> {
  const invited = await owner.fetch('POST', `/api/projects/${projectId}/invitations`, {
    json: role ? { email, role } : { email },
  });
  expect(invited.status).toBe(201);
  const token = await linkTokenFromMail(mailbox, email);
  const browser = await signedIn(
    server.url,
    mailbox,
    `unused-${randomBytes(4).toString('hex')}@x.test`,
  );
  const joined = await browser.fetch('POST', '/auth/magic-link/verify', { json: { token } });
  expect(joined.status).toBe(200);
  return browser;
}

describe('teams', () => {
  it('invites by email; the link signs the person in and joins them with the role', async () => {
    const { owner, projectId } = await ownedProject('team-owner@example.com');
    const invited = await owner.fetch('POST', `/api/projects/${projectId}/invitations`, {
      json: { email: ' New.Member@Example.com ' },
    });
    expect(invited.status).toBe(201);
    expect(invited.body.invitation).toMatchObject({
      email: 'new.member@example.com',
      role: 'member',
    });
    const mail = mailbox.messages.at(-1);
    expect(mail?.subject).toBe("Join team-owner@example.com's app on Vibariant");
    expect(mail?.text).toContain('team-owner@example.com invited you');
    expect(mail?.text).toContain('http://dashboard.test/auth/magic-link/verify?token=');

    const team = await owner.fetch('GET', `/api/projects/${projectId}/members`);
    expect(
      team.body.members.map((m: { email: string; role: string }) => [m.email, m.role]),
    ).toEqual([['team-owner@example.com', 'owner']]);
    expect(team.body.invitations).toEqual([
      expect.objectContaining({ email: 'new.member@example.com', role: 'member' }),
    ]);

    server.clock.advance(1_000);
    const token = await linkTokenFromMail(mailbox, 'new.member@example.com');
    const member = await signedIn(server.url, mailbox, 'someone@example.com');
    const verify = await member.fetch('POST', '/auth/magic-link/verify', { json: { token } });
    expect(verify.status).toBe(200);
    expect(verify.body.user.email).toBe('new.member@example.com');
    const me = await member.fetch('GET', '/auth/me');
    expect(me.body.memberships).toEqual([{ projectId, role: 'member' }]);
    const after = await owner.fetch('GET', `/api/projects/${projectId}/members`);
    expect(after.body.members.map((m: { email: string }) => m.email)).toEqual([
      'team-owner@example.com',
      'new.member@example.com',
    ]);
    expect(after.body.invitations).toEqual([]);

    const again = await owner.fetch('POST', `/api/projects/${projectId}/invitations`, {
      json: { email: 'new.member@example.com' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.details.field).toBe('email');
    for (const body of [{}, { email: 'nope' }, { email: 'a@b.co', role: 'admin' }]) {
      const bad = await owner.fetch('POST', `/api/projects/${projectId}/invitations`, {
        json: body,
      });
      expect(bad.status).toBe(400);
      expect(['email', 'role']).toContain(bad.body.error.details.field);
    }
  });

  it('lets members work on experiments but not on credentials or the team', async () => {
    const { owner, projectId } = await ownedProject('roles-owner@example.com');
    const member = await inviteAndJoin(owner, projectId, 'roles-member@example.com');
    const p = `/api/projects/${projectId}`;

    const experiment = await member.fetch('POST', `${p}/experiments`, {
      json: { key: 'cta', name: 'CTA', variants: [{ key: 'control' }, { key: 'bold' }] },
    });
    expect(experiment.status).toBe(201);
    expect((await member.fetch('POST', `${p}/experiments/cta/start`)).status).toBe(200);
    expect((await member.fetch('GET', `${p}/tokens`)).status).toBe(200);
    expect((await member.fetch('GET', `${p}/members`)).status).toBe(200);

    for (const [method, path, json] of [
      ['POST', `${p}/tokens`, { name: 'x' }],
      ['GET', `${p}/api-keys`, undefined],
      ['POST', `${p}/api-keys`, { name: 'x' }],
      ['PATCH', p, { name: 'Renamed' }],
      ['POST', `${p}/invitations`, { email: 'friend@example.com' }],
    ] as const) {
      const res = await member.fetch(method, path, json === undefined ? {} : { json });
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    const ownerId = (await owner.fetch('GET', '/auth/me')).body.user.id;
    expect((await member.fetch('DELETE', `${p}/members/${ownerId}`)).status).toBe(403);
    expect(
      (await member.fetch('PATCH', `${p}/members/${ownerId}`, { json: { role: 'member' } })).status,
    ).toBe(403);
  });

  it('changes roles and removes members, but never the last owner', async () => {
    const { owner, projectId } = await ownedProject('last-owner@example.com');
    const p = `/api/projects/${projectId}`;
    const ownerId = (await owner.fetch('GET', '/auth/me')).body.user.id as string;

    const demoteSelf = await owner.fetch('PATCH', `${p}/members/${ownerId}`, {
      json: { role: 'member' },
    });
    expect(demoteSelf.status).toBe(409);
    expect(demoteSelf.body.error.details.field).toBe('role');
    expect((await owner.fetch('DELETE', `${p}/members/${ownerId}`)).status).toBe(409);

    const second = await inviteAndJoin(owner, projectId, 'second@example.com');
    const secondId = (await second.fetch('GET', '/auth/me')).body.user.id as string;
    const promoted = await owner.fetch('PATCH', `${p}/members/${secondId}`, {
      json: { role: 'owner' },
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body.member).toMatchObject({ email: 'second@example.com', role: 'owner' });

    // Two owners demoting each other at once: one of them stays owner.
    const [a, b] = await Promise.all([
      owner.fetch('PATCH', `${p}/members/${secondId}`, { json: { role: 'member' } }),
      second.fetch('PATCH', `${p}/members/${ownerId}`, { json: { role: 'member' } }),
    ]);
    // The loser is refused by the owners' lock (409) or, if the winner committed first, as a
    // member who is no longer an owner (403).
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const owners = (await owner.fetch('GET', `${p}/members`)).body.members.filter(
      (m: { role: string }) => m.role === 'owner',
    );
    expect(owners).toHaveLength(1);

    // The remaining owner makes the other one owner again, then leaves.
    const remaining = owners[0].userId === ownerId ? owner : second;
    const other = remaining === owner ? secondId : ownerId;
    const leaver = remaining === owner ? ownerId : secondId;
    expect(
      (await remaining.fetch('PATCH', `${p}/members/${other}`, { json: { role: 'owner' } })).status,
    ).toBe(200);
    expect((await remaining.fetch('DELETE', `${p}/members/${leaver}`)).status).toBe(204);
    expect((await remaining.fetch('GET', `${p}/experiments`)).status).toBe(403);
    expect((await remaining.fetch('DELETE', `${p}/members/${leaver}`)).status).toBe(403);

    const stayer = remaining === owner ? second : owner;
    expect((await stayer.fetch('DELETE', `${p}/members/no-such-user`)).status).toBe(404);
    const bad = await stayer.fetch('PATCH', `${p}/members/${other}`, { json: { role: 'admin' } });
    expect(bad.status).toBe(400);
  });

  it('lets a member leave', async () => {
    const { owner, projectId } = await ownedProject('leave-owner@example.com');
    const member = await inviteAndJoin(owner, projectId, 'leaver@example.com');
    const memberId = (await member.fetch('GET', '/auth/me')).body.user.id as string;
    expect(
      (await member.fetch('DELETE', `/api/projects/${projectId}/members/${memberId}`)).status,
    ).toBe(204);
    expect((await member.fetch('GET', `/api/projects/${projectId}/experiments`)).status).toBe(403);
    expect((await member.fetch('GET', '/auth/me')).body.memberships).toEqual([]);
  });

  it('cancels invitations: replaced by a new one, by hand, and with the member who leaves', async () => {
    const { owner, projectId } = await ownedProject('cancel-owner@example.com');
    const p = `/api/projects/${projectId}`;
    const invite = (email: string, role = 'member') =>
      owner.fetch('POST', `${p}/invitations`, { json: { email, role } });
    const use = async (token: string) =>
      (await new Browser(server.url).fetch('POST', '/auth/magic-link/verify', { json: { token } }))
        .status;

    // A second invitation replaces the first: one pending link per address.
    expect((await invite('dave@example.com')).status).toBe(201);
    const first = await linkTokenFromMail(mailbox, 'dave@example.com');
    expect((await invite('dave@example.com', 'owner')).status).toBe(201);
    const second = await linkTokenFromMail(mailbox, 'dave@example.com');
    expect(await use(first)).toBe(401);
    const pending = (await owner.fetch('GET', `${p}/members`)).body.invitations;
    expect(pending).toEqual([
      expect.objectContaining({ email: 'dave@example.com', role: 'owner' }),
    ]);

    // Cancelled by hand.
    expect((await owner.fetch('DELETE', `${p}/invitations/Dave@Example.com`)).status).toBe(204);
    expect(await use(second)).toBe(401);
    expect((await owner.fetch('DELETE', `${p}/invitations/dave@example.com`)).status).toBe(404);

    // Eve, an owner, invites her other address; removed, she cannot come back through it.
    const eve = await inviteAndJoin(owner, projectId, 'eve@example.com', 'owner');
    const eveId = (await eve.fetch('GET', '/auth/me')).body.user.id as string;
    expect(
      (
        await eve.fetch('POST', `${p}/invitations`, {
          json: { email: 'eve2@example.com', role: 'owner' },
        })
      ).status,
    ).toBe(201);
    const eveLink = await linkTokenFromMail(mailbox, 'eve2@example.com');
    // ...and a pending invitation to her own address is cancelled with her too.
    expect((await invite('eve@example.com', 'owner')).status).toBe(409); // already a member
    expect((await owner.fetch('DELETE', `${p}/members/${eveId}`)).status).toBe(204);
    expect(await use(eveLink)).toBe(401);
    expect((await owner.fetch('GET', `${p}/members`)).body.invitations).toEqual([]);

    // An owner made a member loses the invitations they sent.
    const frank = await inviteAndJoin(owner, projectId, 'frank@example.com', 'owner');
    const frankId = (await frank.fetch('GET', '/auth/me')).body.user.id as string;
    await frank.fetch('POST', `${p}/invitations`, { json: { email: 'gina@example.com' } });
    const ginaLink = await linkTokenFromMail(mailbox, 'gina@example.com');
    expect(
      (await owner.fetch('PATCH', `${p}/members/${frankId}`, { json: { role: 'member' } })).status,
    ).toBe(200);
    expect(await use(ginaLink)).toBe(401);
  });

  it('limits the invitations a project sends per hour', async () => {
    const { owner, projectId } = await ownedProject('busy-owner@example.com');
    for (let i = 0; i < INVITATIONS_PER_PROJECT_PER_HOUR; i++) {
      const res = await owner.fetch('POST', `/api/projects/${projectId}/invitations`, {
        json: { email: `guest-${i}@example.com` },
      });
      expect(res.status).toBe(201);
    }
    const over = await owner.fetch('POST', `/api/projects/${projectId}/invitations`, {
      json: { email: 'one-too-many@example.com' },
    });
    expect(over.status).toBe(429);
    expect(over.body.error.details.field).toBe('project');
    // Another project's owners are not held back.
    const other = await ownedProject('calm-owner@example.com');
    const fine = await other.owner.fetch('POST', `/api/projects/${other.projectId}/invitations`, {
      json: { email: 'guest@example.com' },
    });
    expect(fine.status).toBe(201);
  });

  it('does not ask browsers to switch to HTTPS when served over plain HTTP', async () => {
    const res = await fetch(`${server.url}/auth/providers`);
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
  });

  it('mails notifications to the members who asked for them', async () => {
    const { owner, projectId } = await ownedProject('mail-owner@example.com');
    const quiet = await inviteAndJoin(owner, projectId, 'quiet-member@example.com');
    const p = `/api/projects/${projectId}`;
    const on = await owner.fetch('PUT', `${p}/members/me/notifications`, { json: { email: true } });
    expect(on.body).toEqual({ email: true });
    // Each member reads their own choice back.
    expect((await owner.fetch('GET', `${p}/members/me/notifications`)).body).toEqual({
      email: true,
    });
    expect((await quiet.fetch('GET', `${p}/members/me/notifications`)).body).toEqual({
      email: false,
    });
    const bad = await quiet.fetch('PUT', `${p}/members/me/notifications`, {
      json: { email: 'yes' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('email');

    const token = (await owner.fetch('GET', `${p}/tokens`)).body.tokens[0].token as string;
    await server.ingest(token, decisiveEvents('mailed'));
    const mail = await mailbox.next('mail-owner@example.com');
    expect(mail.subject).toBe('Vibariant: "mailed" is ready to ship');
    expect(mail.text).toContain('http://dashboard.test/');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(mailbox.messages.filter((m) => m.to.includes('quiet-member@example.com'))).toHaveLength(
      1,
    ); // the invitation only
  });
});
