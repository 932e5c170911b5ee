import { describe, expect, it } from 'vitest';
import { codes, dockerPool, LOCAL_PROVIDER, loadStrings, only, serverPool } from '../../../test/fixtures/config/load-strings.ts';

const berlin = 'timezone: Europe/Berlin';
const server = (extra: string) => loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${serverPool(extra)}` });
const docker = (extra: string, staging = '') => loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${dockerPool(extra, staging)}` });
const STAGING = `staging:
  - { name: chrome, workspace: chrome, autoscale: standby, num_sessions: 2 }
---
kind: Workspace
name: chrome
image: kasmweb/chrome:1.16.0
cores: 1
memory_mb: 1024
`;

describe('per-window targets and prewarm rules', () => {
  it('accepts the ramp-up / day / ramp-down example with prewarm auto', async () => {
    const r = await server(`minimum_available_sessions: 1
prewarm: auto
schedules:
  - { days: [mon, tue, wed, thu, fri], start: "07:30", end: "09:30", ${berlin}, minimum_available_sessions: 50 }
  - { days: [mon, tue, wed, thu, fri], start: "09:30", end: "17:00", ${berlin}, minimum_available_sessions: 10, max_instances: 4 }
  - { days: [mon, tue, wed, thu, fri], start: "17:00", end: "19:00", ${berlin}, minimum_available_sessions: 2 }`);
    expect(codes(r)).toEqual([]);
    expect(r.config?.pools[0]?.autoscale?.[0]?.schedules?.[0]?.minimum_available_sessions).toBe(50);
  });

  it('field-not-for-pool-type: standby_* on a server pool window, minimum on a docker pool window', async () => {
    const r = await server(`schedules:\n  - { days: [mon], start: "07:30", end: "09:30", ${berlin}, standby_cores: 4 }`);
    expect(only(r, 'field-not-for-pool-type')).toMatchObject([{ path: '/autoscale/0/schedules/0/standby_cores' }]);
    const d = await docker(`schedules:\n  - { days: [mon], start: "07:30", end: "09:30", ${berlin}, minimum_available_sessions: 4 }`);
    expect(only(d, 'field-not-for-pool-type')).toMatchObject([{ path: '/autoscale/0/schedules/0/minimum_available_sessions' }]);
  });

  it('schedule-staging-unknown: staging_num_sessions names a staging config of this autoscale config', async () => {
    const ok = await docker(
      `agent_cores_override: 4\nagent_memory_override_gb: 8\nschedules:\n  - { days: [mon], start: "07:30", end: "09:30", ${berlin}, staging_num_sessions: { chrome: 20 } }`,
      STAGING,
    );
    expect(codes(ok, 'error')).toEqual([]);
    const bad = await docker(
      `agent_cores_override: 4\nagent_memory_override_gb: 8\nschedules:\n  - { days: [mon], start: "07:30", end: "09:30", ${berlin}, staging_num_sessions: { firefox: 20 } }`,
      STAGING,
    );
    expect(only(bad, 'schedule-staging-unknown')).toMatchObject([{ path: '/autoscale/0/schedules/0/staging_num_sessions/firefox' }]);
  });

  it('num_sessions on a window: accepted on docker pools, field-not-for-pool-type on server pools', async () => {
    const ok = await docker(
      `agent_cores_override: 4\nagent_memory_override_gb: 8\nschedules:\n  - { days: [mon], start: "07:30", end: "09:30", ${berlin}, num_sessions: 20 }`,
      STAGING,
    );
    expect(codes(ok, 'error')).toEqual([]);
    expect(ok.config?.pools[0]?.autoscale?.[0]?.schedules?.[0]?.num_sessions).toBe(20);
    const bad = await server(`schedules:\n  - { days: [mon], start: "07:30", end: "09:30", ${berlin}, num_sessions: 4 }`);
    expect(only(bad, 'field-not-for-pool-type')).toMatchObject([{ path: '/autoscale/0/schedules/0/num_sessions' }]);
  });

  it('prewarm: durations parse, auto needs require_checkin, bad values are schema errors', async () => {
    expect(codes(await server('prewarm: 20m'))).toEqual([]);
    expect(codes(await server('prewarm: "off"'))).toEqual([]);
    expect(codes(await server('prewarm: auto\nrequire_checkin: false'))).toEqual(['prewarm-needs-checkin']);
    expect(codes(await server('prewarm: 20m\nrequire_checkin: false'))).toEqual([]);
    expect(codes(await server('prewarm: soon'))).not.toEqual([]);
  });

  it('schedule-cap-above-provider (warning): a window cap above the provider max_instances', async () => {
    const r = await server(`schedules:\n  - { days: [mon], start: "07:30", end: "09:30", ${berlin}, max_instances: 9 }`);
    expect(codes(r, 'warning')).toEqual(['schedule-cap-above-provider']);
  });
});
