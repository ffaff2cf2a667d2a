import { expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

it('moves a bandit allocation at most once a minute unless BANDIT_INTERVAL_SECONDS says otherwise', () => {
  expect(loadConfig({}).banditIntervalMs).toBe(60_000);
  expect(loadConfig({ BANDIT_INTERVAL_SECONDS: '5' }).banditIntervalMs).toBe(5_000);
  for (const wrong of ['0', '-1', '1.5', 'soon']) {
    expect(() => loadConfig({ BANDIT_INTERVAL_SECONDS: wrong })).toThrow(/BANDIT_INTERVAL_SECONDS/);
  }
});
