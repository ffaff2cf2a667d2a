import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXPERIMENT_KEY_MAX_LENGTH,
  EXPERIMENT_KEY_PATTERN,
  isValidExperimentKey,
  isValidVisitorId,
  VISITOR_ID_MAX_LENGTH,
} from '../src/core/index.js';

describe('isValidExperimentKey', () => {
  it.each(['hero_v1', 'hero_v2', 'A', '0', 'checkout.button-color', 'a-b_c.d', 'k'.repeat(64)])(
    'accepts %s',
    (key) => {
      expect(isValidExperimentKey(key)).toBe(true);
    },
  );

  it.each([
    '',
    'k'.repeat(65),
    'hero:v1',
    'hero v1',
    'hero/v1',
    'héro',
    'hero_v1\n',
    '\nhero_v1',
    'hero\u0000',
    'ｈｅｒｏ',
  ])('rejects %j', (key) => {
    expect(isValidExperimentKey(key)).toBe(false);
  });

  it.each([undefined, null, 42, ['hero_v1'], { key: 'hero_v1' }])(
    'rejects the non-string %j',
    (key) => {
      expect(isValidExperimentKey(key)).toBe(false);
    },
  );

  it('accepts exactly the strings of 1 to 64 allowed characters', () => {
    const allowed = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.';
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (key) => {
        const expected =
          key.length >= 1 &&
          key.length <= EXPERIMENT_KEY_MAX_LENGTH &&
          [...key].every((ch) => allowed.includes(ch));
        expect(isValidExperimentKey(key)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    const fromAllowed = fc.string({
      unit: fc.constantFrom(...allowed),
      minLength: 1,
      maxLength: EXPERIMENT_KEY_MAX_LENGTH,
    });
    fc.assert(
      fc.property(fromAllowed, (key) => {
        expect(isValidExperimentKey(key)).toBe(true);
      }),
    );
  });

  it('exports a pattern without global state', () => {
    expect(EXPERIMENT_KEY_PATTERN.source).toBe('^[A-Za-z0-9._-]{1,64}$');
    expect(EXPERIMENT_KEY_PATTERN.flags).toBe('');
  });
});

describe('isValidVisitorId', () => {
  it('accepts 1 to 200 UTF-16 code units of anything', () => {
    expect(VISITOR_ID_MAX_LENGTH).toBe(200);
    for (const id of ['x', ' ', ':', 'user-1', 'é', '😀', 'x'.repeat(200), '😀'.repeat(100)]) {
      expect(isValidVisitorId(id)).toBe(true);
    }
  });

  it('rejects the empty string, longer strings and non-strings', () => {
    for (const id of ['', 'x'.repeat(201), `${'😀'.repeat(100)}x`, undefined, null, 42, {}]) {
      expect(isValidVisitorId(id)).toBe(false);
    }
  });
});
