import { A, useNavigate } from '@solidjs/router';
import { createSignal, type JSX, Show } from 'solid-js';
import { closeLiveSocket } from '../realtime/socket.js';
import { session, signOut } from '../session.js';

type Theme = 'light' | 'dark';
const THEME_KEY = 'vibariant:theme';

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

const [theme, setTheme] = createSignal<Theme>(initialTheme());
document.documentElement.dataset.theme = theme();

function toggleTheme() {
  const next = theme() === 'dark' ? 'light' : 'dark';
  setTheme(next);
  localStorage.setItem(THEME_KEY, next);
  document.documentElement.dataset.theme = next;
}

/** The bar above every page: the brand, what `children` adds, the theme and the person. */
export function TopBar(props: { children?: JSX.Element }) {
  const navigate = useNavigate();
  const leave = async () => {
    closeLiveSocket();
    await signOut();
    navigate('/sign-in');
  };
  return (
    <header class="top-bar">
      <A href="/" class="brand">
        Vibariant
      </A>
      {props.children}
      <span class="spacer" />
      <button
        type="button"
        class="ghost"
        onClick={toggleTheme}
        aria-label={`Use the ${theme() === 'dark' ? 'light' : 'dark'} theme`}
      >
        {theme() === 'dark' ? '☀' : '☾'}
      </button>
      <Show when={session.me()}>
        {(me) => (
          <>
            <span class="muted who">{me().user.email}</span>
            <button type="button" class="ghost" onClick={leave}>
              Sign out
            </button>
          </>
        )}
      </Show>
    </header>
  );
}
