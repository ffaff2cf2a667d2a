import { A, useNavigate } from '@solidjs/router';
import { type JSX, Show } from 'solid-js';
import { session, signOut } from '../session.js';
import { theme, toggleTheme } from '../theme.js';

/** The bar above every page: the brand, what `children` adds, the theme and the person. */
export function TopBar(props: { children?: JSX.Element }) {
  const navigate = useNavigate();
  const leave = async () => {
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
