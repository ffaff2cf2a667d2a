import { createResource, createSignal, ErrorBoundary, For, type JSX, Show } from 'solid-js';
import { projectApi } from '../api/http.js';
import type {
  ApiKeyRecord,
  Delivery,
  Invitation,
  Member,
  ProjectToken,
  Webhook,
} from '../api/types.js';
import { useProject } from '../components/project-layout.js';
import { when } from '../format.js';
import { session } from '../session.js';

/** A form's error line, shown until the next attempt. */
function useFailure() {
  const [message, setMessage] = createSignal<string>();
  const attempt = async (work: () => Promise<unknown>) => {
    setMessage(undefined);
    try {
      await work();
      return true;
    } catch (e) {
      setMessage((e as Error).message);
      return false;
    }
  };
  const view = (): JSX.Element => (
    <Show when={message()}>
      <p role="alert" class="error">
        {message()}
      </p>
    </Show>
  );
  return { attempt, view };
}

/** A secret shown once, with a warning that it cannot be seen again. */
function ShownOnce(props: { label: string; value: string | undefined }) {
  return (
    <Show when={props.value}>
      <p class="banner warn" role="status">
        {props.label}: <code data-testid="secret">{props.value}</code>. Copy it now: it is not shown
        again.
      </p>
    </Show>
  );
}

function Members() {
  const { projectId, role } = useProject();
  const [team, { refetch }] = createResource(projectId, (id) =>
    projectApi<{ members: Member[]; invitations: Invitation[] }>(id, 'GET', '/members'),
  );
  const [email, setEmail] = createSignal('');
  const [inviteRole, setInviteRole] = createSignal<'member' | 'owner'>('member');
  const failure = useFailure();
  const owner = () => role() === 'owner';
  const invite = async (event: SubmitEvent) => {
    event.preventDefault();
    if (
      await failure.attempt(() =>
        projectApi(projectId(), 'POST', '/invitations', {
          email: email().trim(),
          role: inviteRole(),
        }),
      )
    ) {
      setEmail('');
      await refetch();
    }
  };
  return (
    <section class="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <ul class="list">
        <For each={team()?.members}>
          {(m) => (
            <li>
              {m.name ?? m.email} <span class="muted small">{m.email}</span>{' '}
              <span class="badge neutral">{m.role}</span>
              <Show when={owner() && m.userId !== session.me()?.user.id}>
                <button
                  type="button"
                  class="ghost"
                  onClick={() =>
                    failure.attempt(async () => {
                      await projectApi(projectId(), 'DELETE', `/members/${m.userId}`);
                      await refetch();
                    })
                  }
                >
                  Remove
                </button>
              </Show>
            </li>
          )}
        </For>
        <For each={team()?.invitations}>
          {(i) => (
            <li class="muted">
              {i.email} invited as {i.role}, until {when(i.expiresAt)}
            </li>
          )}
        </For>
      </ul>
      <Show when={owner()}>
        <form class="inline" onSubmit={invite}>
          <label for="invite-email">Invite by email</label>
          <input
            id="invite-email"
            type="email"
            required
            value={email()}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <select
            aria-label="Role"
            value={inviteRole()}
            onChange={(e) => setInviteRole(e.currentTarget.value as 'member' | 'owner')}
          >
            <option value="member">Member</option>
            <option value="owner">Owner</option>
          </select>
          <button type="submit">Invite</button>
        </form>
      </Show>
      {failure.view()}
    </section>
  );
}

function Credentials() {
  const { projectId, role } = useProject();
  const [tokens, { refetch: refetchTokens }] = createResource(projectId, (id) =>
    projectApi<{ tokens: ProjectToken[] }>(id, 'GET', '/tokens').then((r) => r.tokens),
  );
  const [keys, { refetch: refetchKeys }] = createResource(
    () => (role() === 'owner' ? projectId() : undefined),
    (id) => projectApi<{ apiKeys: ApiKeyRecord[] }>(id, 'GET', '/api-keys').then((r) => r.apiKeys),
  );
  const [newKey, setNewKey] = createSignal<string>();
  const failure = useFailure();
  const owner = () => role() === 'owner';
  return (
    <section class="card" aria-labelledby="credentials-title">
      <h2 id="credentials-title">Project tokens and API keys</h2>
      <p class="muted small">
        Tokens (<code>vv_proj_…</code>) are public: the SDK sends events with them. API keys (
        <code>vv_sk_…</code>) are secret: they manage the project.
      </p>
      <ul class="list">
        <For each={tokens()?.filter((t) => !t.revokedAt)}>
          {(t) => (
            <li>
              <code>{t.token}</code> <span class="muted small">{t.name}</span>
              <Show when={owner()}>
                <button
                  type="button"
                  class="ghost"
                  onClick={() =>
                    failure.attempt(async () => {
                      await projectApi(projectId(), 'DELETE', `/tokens/${t.id}`);
                      await refetchTokens();
                    })
                  }
                >
                  Revoke
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={owner()}>
        <button
          type="button"
          class="secondary"
          onClick={() =>
            failure.attempt(async () => {
              await projectApi(projectId(), 'POST', '/tokens', {});
              await refetchTokens();
            })
          }
        >
          New token
        </button>
        <ul class="list">
          <For each={keys()?.filter((k) => !k.revokedAt)}>
            {(k) => (
              <li>
                <code>{k.prefix}…</code>{' '}
                <span class="muted small">
                  {k.name}, last used {k.lastUsedAt ? when(k.lastUsedAt) : 'never'}
                </span>
                <button
                  type="button"
                  class="ghost"
                  onClick={() =>
                    failure.attempt(async () => {
                      await projectApi(projectId(), 'DELETE', `/api-keys/${k.id}`);
                      await refetchKeys();
                    })
                  }
                >
                  Revoke
                </button>
              </li>
            )}
          </For>
        </ul>
        <button
          type="button"
          class="secondary"
          onClick={() =>
            failure.attempt(async () => {
              const { key } = await projectApi<{ key: string }>(
                projectId(),
                'POST',
                '/api-keys',
                {},
              );
              setNewKey(key);
              await refetchKeys();
            })
          }
        >
          New API key
        </button>
        <ShownOnce label="Your new API key" value={newKey()} />
      </Show>
      {failure.view()}
    </section>
  );
}

function Webhooks() {
  const { projectId } = useProject();
  const [hooks, { refetch }] = createResource(projectId, (id) =>
    projectApi<{ webhooks: Webhook[] }>(id, 'GET', '/webhooks').then((r) => r.webhooks),
  );
  const [url, setUrl] = createSignal('');
  const [secret, setSecret] = createSignal<string>();
  const [deliveries, setDeliveries] = createSignal<{ id: string; list: Delivery[] }>();
  const failure = useFailure();
  const add = async (event: SubmitEvent) => {
    event.preventDefault();
    await failure.attempt(async () => {
      const r = await projectApi<{ secret: string }>(projectId(), 'POST', '/webhooks', {
        url: url().trim(),
      });
      setSecret(r.secret);
      setUrl('');
      await refetch();
    });
  };
  const show = (id: string) =>
    failure.attempt(async () => {
      const r = await projectApi<{ deliveries: Delivery[] }>(
        projectId(),
        'GET',
        `/webhooks/${id}/deliveries`,
      );
      setDeliveries({ id, list: r.deliveries });
    });
  return (
    <section class="card" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <p class="muted small">
        Slack-compatible JSON on every notification, signed with <code>X-Vibariant-Signature</code>.
      </p>
      <ul class="list">
        <For each={hooks()}>
          {(h) => (
            <li>
              <code>{h.url}</code>
              <button
                type="button"
                class="ghost"
                onClick={() =>
                  failure.attempt(async () => {
                    await projectApi(projectId(), 'POST', `/webhooks/${h.id}/test`, {});
                    await show(h.id);
                  })
                }
              >
                Send a test
              </button>
              <button type="button" class="ghost" onClick={() => show(h.id)}>
                Deliveries
              </button>
              <button
                type="button"
                class="ghost"
                onClick={() =>
                  failure.attempt(async () => {
                    await projectApi(projectId(), 'DELETE', `/webhooks/${h.id}`);
                    await refetch();
                  })
                }
              >
                Delete
              </button>
              <Show when={deliveries()?.id === h.id}>
                <ul class="list small">
                  <For each={deliveries()?.list} fallback={<li class="muted">No delivery yet.</li>}>
                    {(d) => (
                      <li>
                        {when(d.createdAt)}: {d.state}, {d.attempts} attempt(s)
                        {d.lastStatus ? `, HTTP ${d.lastStatus}` : ''}
                        {d.lastError ? `, ${d.lastError}` : ''}
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <form class="inline" onSubmit={add}>
        <label for="webhook-url">Add a webhook</label>
        <input
          id="webhook-url"
          type="url"
          required
          placeholder="https://hooks.slack.com/…"
          value={url()}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
        <button type="submit">Add</button>
      </form>
      <ShownOnce label="Signing secret" value={secret()} />
      {failure.view()}
    </section>
  );
}

function EmailNotifications() {
  const { projectId } = useProject();
  const [on, setOn] = createSignal(false);
  const failure = useFailure();
  createResource(projectId, (id) =>
    projectApi<{ email: boolean }>(id, 'GET', '/members/me/notifications')
      .then((r) => setOn(r.email))
      .catch(() => undefined),
  );
  const change = (value: boolean) =>
    failure.attempt(async () => {
      await projectApi(projectId(), 'PUT', '/members/me/notifications', { email: value });
      setOn(value);
    });
  return (
    <section class="card" aria-labelledby="email-title">
      <h2 id="email-title">Email</h2>
      <label class="radio">
        <input type="checkbox" checked={on()} onChange={(e) => change(e.currentTarget.checked)} />
        Email me when an experiment reaches a decision or traffic looks wrong
      </label>
      {failure.view()}
    </section>
  );
}

/** A part of the page that fails alone: its error shows in its place. */
function Section(props: { children: JSX.Element }) {
  return (
    <ErrorBoundary
      fallback={(error) => (
        <p role="alert" class="card error">
          {(error as Error).message}
        </p>
      )}
    >
      {props.children}
    </ErrorBoundary>
  );
}

/** The project's settings: members, tokens and keys, webhooks, email. */
export function SettingsPage() {
  const { role } = useProject();
  return (
    <>
      <h1>Settings</h1>
      <Section>
        <Members />
      </Section>
      <Section>
        <Credentials />
      </Section>
      <Show when={role() === 'owner'}>
        <Section>
          <Webhooks />
        </Section>
      </Show>
      <Section>
        <EmailNotifications />
      </Section>
    </>
  );
}
