import { describe, expect, it } from 'vitest';
import { codes, loadStrings, MINIMAL } from '../../../test/fixtures/config/load-strings.ts';

describe('postgres-url-required', () => {
  it('accepts sqlite without url and postgres with one', async () => {
    expect(codes(await loadStrings({ 'a.yaml': MINIMAL, 's.yaml': 'kind: Settings\nstate: { backend: sqlite }\n' }))).toEqual([]);
    expect(codes(await loadStrings({ 'a.yaml': MINIMAL, 's.yaml': 'kind: Settings\nstate:\n  backend: postgres\n  url: ${env:DB}\n' }))).toEqual([]);
  });
  it('rejects postgres without url', async () => {
    expect(codes(await loadStrings({ 'a.yaml': MINIMAL, 's.yaml': 'kind: Settings\nstate: { backend: postgres }\n' }))).toEqual(['postgres-url-required']);
  });
});
