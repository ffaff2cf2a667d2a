/**
 * Starts the landing page in `#root`, with the settings its data attributes hold:
 * `data-token` (the project token, `vv_proj_…`), `data-api-host` (the Vibariant server, such as
 * `http://127.0.0.1:4000`) and `data-allow-bots="true"` (send events from automated browsers
 * too, for tests).
 */
import { VibariantProvider } from '@vibariant/sdk/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { LandingPage } from './landing-page.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('the page needs a <div id="root">');
const { token, apiHost, allowBots } = root.dataset;
if (!token || !apiHost) throw new Error('set data-token and data-api-host on #root');

createRoot(root).render(
  <StrictMode>
    <VibariantProvider token={token} apiHost={apiHost} allowBots={allowBots === 'true'}>
      <LandingPage />
    </VibariantProvider>
  </StrictMode>,
);
