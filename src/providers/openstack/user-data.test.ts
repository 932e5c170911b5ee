import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PoolformError } from '../../util/errors.ts';
import { assertUserDataFits, encodeUserData, USER_DATA_MAX_BASE64_CHARS, USER_DATA_MAX_BYTES } from './user-data.ts';

describe('OpenStack user_data limit', () => {
  it('a script fits exactly when its base64 is at most 65,535 characters', () => {
    fc.assert(
      fc.property(fc.integer({ min: USER_DATA_MAX_BYTES - 400, max: USER_DATA_MAX_BYTES + 400 }), (bytes) => {
        const script = 'a'.repeat(bytes);
        const fitsNova = encodeUserData(script).length <= USER_DATA_MAX_BASE64_CHARS;
        let accepted = true;
        try {
          assertUserDataFits('osp', script);
        } catch (error) {
          expect(error).toBeInstanceOf(PoolformError);
          expect((error as PoolformError).nothingCreated).toBe(true);
          accepted = false;
        }
        expect(accepted).toBe(fitsNova);
      }),
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(() => assertUserDataFits('osp', 'é'.repeat(Math.ceil(USER_DATA_MAX_BYTES / 2) + 1))).toThrow(/VmProvider osp: .*Nova user_data allows 49149 bytes/);
  });
});
