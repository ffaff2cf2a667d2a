/**
 * A React app as a user writes it: `<StrictMode>`, a provider, and a component showing its
 * variant of `hero` with a button that tracks `signup`. Started by the page with
 * `window.startApp({ token, apiHost })`.
 */
import { useTrack, useVariant, VibariantProvider } from '@vibariant/sdk/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

function Hero() {
  const variant = useVariant('hero', ['control', 'bold']);
  const track = useTrack();
  return (
    <main>
      <h1 id="headline">{variant === 'bold' ? 'Ship experiments today' : 'A/B testing'}</h1>
      <p id="variant">{variant}</p>
      <button id="signup" type="button" onClick={() => track('signup')}>
        Sign up
      </button>
    </main>
  );
}

declare global {
  interface Window {
    startApp(options: { token: string; apiHost: string }): void;
  }
}

window.startApp = ({ token, apiHost }) => {
  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <VibariantProvider token={token} apiHost={apiHost} allowBots>
        <Hero />
      </VibariantProvider>
    </StrictMode>,
  );
};
