/**
 * The script-tag build: `<script src="…/vibariant.global.js" data-token="vv_proj_…"
 * data-api-host="https://ab.example.com"></script>` starts the SDK with auto-tracking and goal
 * detection, and puts the client at `window.vibariant` (the API host defaults to the script's
 * own origin). `data-autotrack="false"` leaves auto-tracking and goals off;
 * `data-allow-bots="true"` also runs it in automated browsers.
 */
import { autotrack } from './autotrack/autotrack.js';
import { createVibariant } from './client/client.js';
import { detectGoals } from './goals/goals.js';

const script = globalThis.document?.currentScript as HTMLScriptElement | null | undefined;
const data = script?.dataset;
if (script && data?.token) {
  const vb = createVibariant({
    token: data.token,
    apiHost: data.apiHost ?? new URL(script.src).origin,
    allowBots: data.allowBots === 'true',
  });
  (globalThis as { vibariant?: unknown }).vibariant = vb;
  if (data.autotrack !== 'false') {
    autotrack(vb);
    detectGoals(vb);
  }
}
