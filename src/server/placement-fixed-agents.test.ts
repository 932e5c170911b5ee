// Fixed docker agents (a docker pool's `agents:`) are placed like autoscaled
// ones: by free resources, in their own zone, never when disabled.
import { describe, expect, it } from 'vitest';
import type { Pool } from '../config/model.ts';
import { testConfig } from '../providers/testing.ts';
import { serverRecord, session as sessionRecord } from '../../test/fixtures/plan/builders.ts';
import type { NewSession, PlacementCandidate } from '../state/types.ts';
import { choosePlacement, rulesFromConfig } from './placement.ts';

const pool: Pool = {
  kind: 'Pool',
  name: 'c',
  type: 'docker_agent',
  agents: [
    { name: 'east1', hostname: 'e1', cores: 8, memory_mb: 16384, zone: 'east' },
    { name: 'west1', hostname: 'w1', cores: 4, memory_mb: 8192, zone: 'west' },
  ],
  autoscale: [{ name: 'auto', vm_provider: 'local', zone: 'west' }],
};
const config = testConfig({ pools: [pool] });
const rules = rulesFromConfig(config, 'c', () => true);
const agent = (id: string, autoscale: string | null, cores: number) =>
  serverRecord(id, { pool: 'c', autoscale, capacity: { cores, memory_mb: 16384, gpus: 0 }, max_sessions: 1_000_000 });
const request = (zone: string | null): NewSession => ({
  id: 'r',
  pool: 'c',
  user: 'u',
  zone,
  workspace: 'w',
  resources: { cores: 2, memory_mb: 1024, gpus: 0 },
  api_key: null,
  now: '2026-01-01T00:00:00.000Z',
});

describe('fixed docker agents in placement', () => {
  it('have their configured zone', () => {
    expect(rules.zoneOf(agent('fixed.c.east1', null, 8))).toBe('east');
    expect(rules.zoneOf(agent('fixed.c.west1', null, 4))).toBe('west');
    expect(rules.zoneOf(agent('vm-1', 'auto', 4))).toBe('west');
  });

  it('compete with autoscaled agents by free cores; a zone request picks only that zone', () => {
    const busy = agent('fixed.c.east1', null, 8);
    const candidates: PlacementCandidate[] = [
      { server: busy, sessions: [sessionRecord('s1', busy.id, { pool: 'c', status: 'running', resources: { cores: 6, memory_mb: 1, gpus: 0 } })] },
      { server: agent('fixed.c.west1', null, 4), sessions: [] },
      { server: agent('vm-1', 'auto', 3), sessions: [] },
    ];
    expect(choosePlacement(candidates, request(null), rules)).toBe('fixed.c.west1'); // 4 free cores beats 3 and 2
    expect(choosePlacement(candidates, request('east'), rules)).toBe('fixed.c.east1');
    const disabled = candidates.map((c) => (c.server.id === 'fixed.c.west1' ? { ...c, server: { ...c.server, enabled: false } } : c));
    expect(choosePlacement(disabled, request('west'), rules)).toBe('vm-1');
  });
});
