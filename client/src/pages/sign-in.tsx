import { useNavigate } from '@solidjs/router';
import { createEffect, createResource, createSignal, Show } from 'solid-js';
import { request } from '../api/http.js';
import { ErrorLine } from '../components/error-line.js';
import { session } from '../session.js';

/** Sign-in: an emailed link, or GitHub when the server offers it. */
export function SignInPage() {
  const navigate = useNavigate();
  const [providers] = createResource(() =>
    request<{ email: boolean; github: boolean }>('GET', '/auth/providers'),
  );
  const [email, setEmail] = createSignal('');
  const [sentTo, setSentTo] = createSignal<string>();
  const [error, setError] = createSignal<string>();
  const [busy, setBusy] = createSignal(false);

  createEffect(() => {
    if (session.me()) navigate('/', { replace: true });
  });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      await request('POST', '/auth/magic-link', { email: email().trim() });
      setSentTo(email().trim());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Vibariant</h1>
      <p class="muted">A/B tests that give honest answers from a hundred visitors.</p>
      <Show
        when={!sentTo()}
        fallback={
          <p role="status" class="card">
            Check your inbox: we sent a sign-in link to <strong>{sentTo()}</strong>. It works once,
            for 15 minutes.
          </p>
        }
      >
        <form class="card stack" onSubmit={submit}>
          <label for="sign-in-email">Email</label>
          <input
            id="sign-in-email"
            type="email"
            autocomplete="email"
            required
            value={email()}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
          <button type="submit" disabled={busy()}>
            Email me a sign-in link
          </button>
          <ErrorLine message={error()} />
        </form>
      </Show>
      <Show when={providers()?.github}>
        <a class="button secondary" href="/auth/github">
          Sign in with GitHub
        </a>
      </Show>
    </main>
  );
}
