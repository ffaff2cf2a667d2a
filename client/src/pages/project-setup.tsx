import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { projectApi } from '../api/http.js';
import type { Experiment, ProjectToken } from '../api/types.js';
import { useProject } from '../components/project-layout.js';
import { inRoom, onLive } from '../realtime/hooks.js';
import { command } from '../realtime/socket.js';

type Flavour = 'react' | 'javascript' | 'script';

const FLAVOURS: { id: Flavour; label: string }[] = [
  { id: 'react', label: 'npm + React' },
  { id: 'javascript', label: 'Plain JavaScript' },
  { id: 'script', label: 'Script tag' },
];

/** The install snippet of each flavour for this project's token and this server. */
function snippet(flavour: Flavour, token: string, host: string): string {
  switch (flavour) {
    case 'react':
      return `# the SDK package: npm pack -w sdk in the Vibariant repository, then
npm install ./vibariant-sdk-0.1.0.tgz

import { VibariantProvider, useTrack, useVariant } from '@vibariant/sdk/react';

function Hero() {
  const headline = useVariant('hero', ['control', 'bold']);
  const track = useTrack();
  return <button onClick={() => track('signup')}>{headline === 'bold' ? 'Start free' : 'Sign up'}</button>;
}

<VibariantProvider token="${token}" apiHost="${host}">
  <Hero />
</VibariantProvider>`;
    case 'javascript':
      return `# the SDK package: npm pack -w sdk in the Vibariant repository, then
npm install ./vibariant-sdk-0.1.0.tgz

import { createVibariant } from '@vibariant/sdk';
import { autotrack } from '@vibariant/sdk/autotrack';
import { detectGoals } from '@vibariant/sdk/goals';

const vb = createVibariant({ token: '${token}', apiHost: '${host}' });
autotrack(vb);
detectGoals(vb);
const headline = vb.getVariant('hero', ['control', 'bold']);
button.addEventListener('click', () => vb.track('signup'));`;
    case 'script':
      return `<script src="${host}/vibariant.global.js" data-token="${token}"></script>
<script>
  const headline = window.vibariant.getVariant('hero', ['control', 'bold']);
</script>`;
  }
}

/**
 * Set-up: the install snippet with the project's token, and a light that turns green when the
 * first event arrives.
 */
export function ProjectSetupPage() {
  const { projectId } = useProject();
  const host = window.location.origin;
  const [tokens] = createResource(projectId, (id) =>
    projectApi<{ tokens: ProjectToken[] }>(id, 'GET', '/tokens').then((r) =>
      r.tokens.filter((t) => t.revokedAt === null),
    ),
  );
  const [seenBefore] = createResource(projectId, (id) =>
    projectApi<{ experiments: Experiment[] }>(id, 'GET', '/experiments').then((r) =>
      r.experiments.some((e) => (e.decision?.variants ?? []).some((v) => v.visitors > 0)),
    ),
  );
  const [flavour, setFlavour] = createSignal<Flavour>('react');
  const [received, setReceived] = createSignal(0);
  const [copied, setCopied] = createSignal(false);
  let codeBlock: HTMLElement | undefined;

  inRoom(
    () => void command('live:subscribe', { projectId: projectId() }).catch(() => undefined),
    () => void command('live:unsubscribe', { projectId: projectId() }).catch(() => undefined),
  );
  onLive('events:received', (fact) => {
    if (fact.projectId === projectId()) setReceived((n) => n + fact.events.length);
  });

  const token = () => tokens()?.[0]?.token ?? 'vv_proj_…';
  const code = () => snippet(flavour(), token(), host);
  let copiedTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(copiedTimer));
  const copy = async () => {
    // The clipboard API needs a secure context (HTTPS or localhost): else select the text.
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(code());
      setCopied(true);
      clearTimeout(copiedTimer);
      copiedTimer = setTimeout(() => setCopied(false), 2_000);
    } else if (codeBlock) {
      getSelection()?.selectAllChildren(codeBlock);
    }
  };
  const live = () => received() > 0 || seenBefore() === true;

  return (
    <>
      <h1>Set up your app</h1>
      <Show when={tokens()} fallback={<p class="loading">Loading your project token…</p>}>
        <Show
          when={tokens()?.[0]}
          fallback={<p role="alert">This project has no active token: create one in Settings.</p>}
        >
          {(active) => (
            <p>
              Your project token is <code data-testid="project-token">{active().token}</code>. It is
              public: it only sends events and reads the configuration.
            </p>
          )}
        </Show>
      </Show>
      <div role="tablist" aria-label="How you build your app" class="tabs">
        <For each={FLAVOURS}>
          {(f) => (
            <button
              type="button"
              role="tab"
              aria-selected={flavour() === f.id}
              class={flavour() === f.id ? 'tab active' : 'tab'}
              onClick={() => setFlavour(f.id)}
            >
              {f.label}
            </button>
          )}
        </For>
      </div>
      <div class="code-block">
        <pre>
          <code ref={codeBlock}>{code()}</code>
        </pre>
        <button type="button" class="secondary" onClick={copy}>
          {copied() ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p class={`waiting ${live() ? 'live' : ''}`} role="status" data-testid="first-event">
        <span class={`dot ${live() ? 'on' : 'pending'}`} aria-hidden="true" />
        <Show when={live()} fallback="Waiting for the first event from your app…">
          Events are arriving
          <Show when={received() > 0}> ({received()} just now)</Show>.
        </Show>
      </p>
    </>
  );
}
