/**
 * The script-tag build: `<script src="…/vibariant.global.js" data-token="vv_proj_…"
 * data-api-host="https://ab.example.com"></script>` starts the SDK and puts it at
 * `window.vibariant` (the API host defaults to the script's own origin). `data-allow-bots="true"`
 * also runs it in automated browsers.
 */
import { createVibariant } from './client/client.js';

const script = globalThis.document?.currentScript as HTMLScriptElement | null | undefined;
const token = script?.dataset.token;
if (script && token) {
  (globalThis as { vibariant?: unknown }).vibariant = createVibariant({
    token,
    apiHost: script.dataset.apiHost ?? new URL(script.src).origin,
    allowBots: script.dataset.allowBots === 'true',
  });
}
