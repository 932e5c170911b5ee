import { describe, expect, it } from 'vitest';
import { makeConfig, serverPool } from '../autoscale/testing.ts';
import type { AuditEntry, ServerRecord, SessionRecord } from '../state/types.ts';
import { serverRecord, session } from '../../test/fixtures/plan/builders.ts';
import { silentLog } from '../server/types.ts';
import { expireSessions, safeDuration } from './housekeeping.ts';
import type { ExpiryStore } from './housekeeping.ts';

const NOW = '2026-01-05T13:00:00.000Z';

function fakeStore(expired: SessionRecord[], servers: ServerRecord[]) {
  const audit: AuditEntry[] = [];
  const calls: { keepaliveMs: number; queueMs: number }[] = [];
  const drained: string[] = [];
  const store: ExpiryStore = {
    expireSessions: async (_now, keepaliveMs, queueMs) => {
      calls.push({ keepaliveMs, queueMs });
      return expired;
    },
    appendAudit: async (entries) => {
      audit.push(...entries);
    },
    getServer: async (id) => servers.find((s) => s.id === id),
    updateServerStatus: async (id, update) => {
      drained.push(`${id}:${update.status}`);
      const s = servers.find((x) => x.id === id);
      return s ? { ...s, status: update.status } : undefined;
    },
  };
  return { store, audit, calls, drained };
}

describe('session expiry', () => {
  it('passes the configured timeouts, audits each expiry and retires single-use servers', async () => {
    const config = makeConfig({ pools: [serverPool('desktops', [{}])] });
    config.settings.session_keepalive_timeout = '10m';
    const ended = session('s1', 'srv1', { status: 'ended', end_reason: 'keepalive_timeout' });
    const failed = session('s2', null, { status: 'failed', end_reason: 'queue_timeout' });
    const f = fakeStore([ended, failed], [serverRecord('srv1', { reusable: false })]);
    expect(await expireSessions(f.store, silentLog, config, NOW)).toEqual([ended, failed]);
    expect(f.calls).toEqual([{ keepaliveMs: 600_000, queueMs: 900_000 }]);
    expect(f.drained).toEqual(['srv1:draining']);
    expect(f.audit.map((a) => a.action)).toEqual(['session-expire', 'session-queue-timeout']);
    expect(f.audit[1]?.reason).toContain('queue_timeout');
  });

  it('writes nothing when nothing expired', async () => {
    const f = fakeStore([], []);
    await expireSessions(f.store, silentLog, makeConfig({ pools: [] }), NOW);
    expect(f.audit).toEqual([]);
  });

  it('an unparsable duration falls back to the default', () => {
    expect(safeDuration('nonsense', '30s')).toBe(30_000);
    expect(safeDuration(undefined, '1h')).toBe(3_600_000);
  });
});
