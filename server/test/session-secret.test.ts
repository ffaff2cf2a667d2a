import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSessionSecret, SessionTokens } from '../src/features/accounts/session-tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'vibariant-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the session key', () => {
  it('is generated once into the data directory (mode 0600) and read back after a restart', async () => {
    const file = join(dir, 'data', 'session-secret');
    const first = loadSessionSecret(undefined, file);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadSessionSecret(undefined, file);
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);

    // A token signed before the restart is still valid after it, and not under another key.
    const now = () => Date.parse('2026-11-30T12:00:00Z');
    const token = await new SessionTokens(first, now).sign({ userId: 'u1', sessionId: 's1' });
    expect(await new SessionTokens(again, now).verify(token)).toEqual({
      userId: 'u1',
      sessionId: 's1',
    });
    const other = loadSessionSecret(undefined, join(dir, 'other', 'session-secret'));
    expect(await new SessionTokens(other, now).verify(token)).toBeUndefined();
  });

  it('takes JWT_SECRET when set, and refuses one shorter than 32 characters', () => {
    const configured = 'x'.repeat(32);
    expect(Buffer.from(loadSessionSecret(configured, join(dir, 'unused'))).toString()).toBe(
      configured,
    );
    expect(() => loadSessionSecret('too-short', join(dir, 'unused'))).toThrow(/JWT_SECRET/);
  });

  it('compares CSRF tokens exactly: one character off, or another length, is refused', () => {
    const tokens = new SessionTokens(Buffer.alloc(32, 7), Date.now);
    const csrf = tokens.csrfToken('session-1');
    expect(tokens.checkCsrf('session-1', csrf)).toBe(true);
    expect(tokens.checkCsrf('session-2', csrf)).toBe(false);
    const last = csrf.at(-1) === 'A' ? 'B' : 'A';
    for (const wrong of [
      `${csrf.slice(0, -1)}${last}`,
      csrf.slice(0, -1),
      `${csrf}A`,
      '',
      undefined,
    ]) {
      expect(tokens.checkCsrf('session-1', wrong)).toBe(false);
    }
  });
});
