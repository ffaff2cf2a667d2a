/**
 * A small landing page as a user builds it with React: a headline under test, a call to action
 * (found by goal detection, not marked), auto-tracking on. Started by the page with
 * `window.startLanding({ token, apiHost })`.
 */

import { autotrack } from '@vibariant/sdk/autotrack';
import { detectGoals } from '@vibariant/sdk/goals';
import { useVariant, useVibariant, VibariantProvider } from '@vibariant/sdk/react';
import { useEffect } from 'react';
import { createRoot } from 'react-dom/client';

function Landing() {
  const vb = useVibariant();
  useEffect(() => {
    const stopTracking = autotrack(vb);
    const stopGoals = detectGoals(vb);
    return () => {
      stopTracking();
      stopGoals();
    };
  }, [vb]);
  const headline = useVariant('hero', ['control', 'bold']);
  return (
    <main data-variant={headline}>
      <h1>
        {headline === 'bold' ? 'Ship your first experiment today' : 'A/B testing for small apps'}
      </h1>
      <p>Honest answers from a hundred visitors.</p>
      <button id="cta" type="button">
        Start free trial
      </button>
    </main>
  );
}

declare global {
  interface Window {
    startLanding(options: { token: string; apiHost: string }): void;
  }
}

window.startLanding = ({ token, apiHost }) => {
  createRoot(document.getElementById('root') as HTMLElement).render(
    <VibariantProvider token={token} apiHost={apiHost} allowBots>
      <Landing />
    </VibariantProvider>,
  );
};
