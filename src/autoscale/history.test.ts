import { describe, expect, it } from 'vitest';
import type { Decision } from './types.ts';
import { createBackoffMs, createBlockedUntil, createErrorBlockedUntil, emptyHistory, historyAfterCheckin, nextHistory } from './history.ts';

const NOW = '2024-01-10T12:00:00.000Z';
const d = (action: Decision['action'], cause: Decision['cause'], pool = 'p', autoscale = 'a'): Decision => ({ action, cause, pool, autoscale, reason: '' });

describe('nextHistory', () => {
  it('records creates, destroys and failed starts per config, without touching the input', () => {
    const before = { 'p/a': { ...emptyHistory(), consecutive_failures: 1, last_failure_at: '2024-01-10T11:00:00.000Z' } };
    const after = nextHistory(
      before,
      [d('create', 'scale-up'), d('destroy', 'checkin-timeout'), d('drain', 'failed'), d('hold', 'backoff'), d('destroy', 'scale-down', 'q', 'b')],
      NOW,
    );
    expect(after['p/a']).toEqual({ last_create_at: NOW, last_destroy_at: NOW, consecutive_failures: 3, last_failure_at: NOW });
    expect(after['q/b']).toEqual({ last_create_at: null, last_destroy_at: NOW, consecutive_failures: 0, last_failure_at: null });
    expect(before['p/a'].consecutive_failures).toBe(1);
  });

  it('a gone or scale-down destroy is not a failed start', () => {
    const after = nextHistory({}, [d('destroy', 'gone'), d('destroy', 'non-reusable'), d('destroy', 'removed')], NOW);
    expect(after['p/a']?.consecutive_failures).toBe(0);
  });
});

describe('historyAfterCheckin', () => {
  it('ends the failure streak', () => {
    const entry = { ...emptyHistory(), consecutive_failures: 4, last_failure_at: NOW };
    expect(historyAfterCheckin(entry)).toEqual({ ...entry, consecutive_failures: 0 });
    expect(historyAfterCheckin(undefined)).toEqual(emptyHistory());
  });
});

describe('create backoff', () => {
  it('doubles from checkin_timeout per failure and is capped at 6 hours', () => {
    const m = 60_000;
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => createBackoffMs(n, 30 * m) / m)).toEqual([0, 30, 60, 120, 240, 360, 360]);
  });

  it('counts from last_failure_at', () => {
    const entry = { ...emptyHistory(), consecutive_failures: 2, last_failure_at: '2024-01-10T11:30:00.000Z' };
    expect(createBlockedUntil(entry, 30 * 60_000, Date.parse(NOW))).toBe(Date.parse('2024-01-10T12:30:00.000Z'));
    expect(createBlockedUntil(entry, 30 * 60_000, Date.parse('2024-01-10T12:30:00.000Z'))).toBeNull();
  });
});

describe('refused creates (capacity backoff)', () => {
  const failure = { pool: 'p', autoscale: 'a', error: 'InsufficientInstanceCapacity (aws-insufficient-capacity)' };

  it('counts one refused round per config, even when a create of the same round went through', () => {
    const after = nextHistory({}, [d('create', 'scale-up')], NOW, [failure, failure]);
    expect(after['p/a']).toMatchObject({ last_create_at: NOW, create_errors: 1, last_create_error_at: NOW, last_create_error: failure.error });
    const again = nextHistory(after, [], '2024-01-10T12:01:00.000Z', [failure]);
    expect(again['p/a']?.create_errors).toBe(2);
    expect(createErrorBlockedUntil(again['p/a'], Date.parse('2024-01-10T12:01:00.000Z'))).toBe(Date.parse('2024-01-10T12:03:00.000Z'));
  });

  it('a later successful create ends the streak', () => {
    const after = nextHistory(
      { 'p/a': { ...emptyHistory(), create_errors: 4, last_create_error_at: NOW, last_create_error: 'x' } },
      [d('create', 'scale-up')],
      NOW,
    );
    expect(after['p/a']?.create_errors).toBe(0);
    expect(createErrorBlockedUntil(after['p/a'], Date.parse(NOW))).toBeNull();
  });
});
