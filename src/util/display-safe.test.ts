import { describe, expect, it } from 'vitest';
import { displaySafe } from './display-safe.ts';

describe('displaySafe', () => {
  it('turns escape sequences and line breaks into spaces, keeping the text', () => {
    expect(displaySafe('ok\u001b[2J\nApply complete!\r\u0007')).toBe('ok [2J Apply complete!  ');
    expect(displaySafe('Initialization Complete')).toBe('Initialization Complete');
  });
});
