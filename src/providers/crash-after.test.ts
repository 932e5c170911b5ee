import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPoolformError } from '../util/errors.ts';
import { parseCrashAfter, withCallCounter, withCrashAfter } from './crash-after.ts';
import { createProviderRegistry } from './registry.ts';
import type { ProviderRegistry } from './registry.ts';
import { testConfig } from './testing.ts';
import type { VmCreateRequest } from './types.ts';

const req = (i: number): VmCreateRequest => ({ intent_id: `i${i}`, server_id: `s${i}`, hostname: `h${i}`, pool: 'lab', autoscale: 'default', user_data: '' });
const PENDING = Symbol('pending');
const settledWithin = async <T>(p: Promise<T>, ms = 100): Promise<T | typeof PENDING> =>
  Promise.race([p, new Promise<typeof PENDING>((r) => setTimeout(() => r(PENDING), ms))]);

describe('crash-after hook', () => {
  let stateDir: string;
  let registry: ProviderRegistry;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'pf-crash-'));
    registry = createProviderRegistry({ config: testConfig(), stateDir, env: {}, localVm: { spawn: () => 999_999_980 } });
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('kills right after the Nth mutating call returns; observe is not counted; the caller never sees that result', async () => {
    let kills = 0;
    const crashing = withCrashAfter(registry, 2, () => kills++);
    const vm = crashing.vm('local');
    expect(await vm.observe()).toEqual([]);
    expect(await vm.observe()).toEqual([]);
    expect((await vm.create(req(1))).server_id).toBe('s1');
    expect(kills).toBe(0);
    const second = vm.create(req(2));
    expect(await settledWithin(second)).toBe(PENDING);
    expect(kills).toBe(1);
    // the call itself did its work before the "crash" (worst case: done but not persisted)
    expect(existsSync(join(stateDir, 'local-vms', 's2', 'vm.json'))).toBe(true);
    // after the crash nothing else happens: every later call hangs, observe included
    expect(await settledWithin(vm.create(req(3)))).toBe(PENDING);
    expect(await settledWithin(crashing.dns('hosts').observe('desk.example.com'))).toBe(PENDING);
    expect(existsSync(join(stateDir, 'local-vms', 's3'))).toBe(false);
    expect(kills).toBe(1);
  });

  it('counts calls across clients and kinds, rejected ones included', async () => {
    const killed: string[] = [];
    const crashing = withCrashAfter(registry, 3, () => killed.push('x'));
    await crashing.vm('local').create(req(1));
    await expect(crashing.vm('local').create({ ...req(1), intent_id: 'other' })).rejects.toThrow(/belongs to intent i1/);
    const upsert = crashing.dns('hosts').upsert('desk.example.com', [{ fqdn: 'a.desk.example.com', type: 'A', value: '127.0.0.1', ttl: 60, server_id: 's1' }]);
    expect(await settledWithin(upsert)).toBe(PENDING);
    expect(killed).toHaveLength(1);
  });

  it('SIGKILLs the real process by default', async () => {
    const code = `
      import { createProviderRegistry } from ${JSON.stringify(new URL('./registry.ts', import.meta.url).pathname)};
      import { withCrashAfter } from ${JSON.stringify(new URL('./crash-after.ts', import.meta.url).pathname)};
      import { testConfig } from ${JSON.stringify(new URL('./testing.ts', import.meta.url).pathname)};
      const registry = withCrashAfter(createProviderRegistry({ config: testConfig(), stateDir: ${JSON.stringify(stateDir)}, env: {}, localVm: { spawn: () => 999999981 } }), 2);
      for (const i of [1, 2, 3]) {
        await registry.vm('local').create({ intent_id: 'i' + i, server_id: 's' + i, hostname: 'h', pool: 'p', autoscale: 'a', user_data: '' });
        console.log('persisted', i);
      }
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('persisted 1\n');
    expect((await readdir(join(stateDir, 'local-vms'))).sort()).toEqual(['s1', 's2']);
  });

  it('parseCrashAfter accepts positive integers only', () => {
    expect(parseCrashAfter(undefined)).toBeUndefined();
    expect(parseCrashAfter('')).toBeUndefined();
    expect(parseCrashAfter(' 7 ')).toBe(7);
    for (const bad of ['0', '-1', '1.5', 'x']) {
      let code: string | undefined;
      try {
        parseCrashAfter(bad);
      } catch (e) {
        code = isPoolformError(e) ? e.code : 'other';
      }
      expect(code).toBe('invalid-crash-after');
    }
  });

  it('withCallCounter counts every call, by method, with batch sizes', async () => {
    const { registry: counted, counter } = withCallCounter(registry);
    await counted.vm('local').observe();
    await counted.vm('local').create(req(1));
    await counted.vm('local').destroy([
      { provider_id: 's1', server_id: 's1' },
      { provider_id: 's9', server_id: 's9' },
    ]);
    await counted.dns('hosts').observe('desk.example.com');
    expect(counter.total).toBe(4);
    expect(counter.mutating).toBe(2);
    expect(counter.byMethod()).toEqual({ 'vm.observe': 1, 'vm.create': 1, 'vm.destroy': 1, 'dns.observe': 1 });
    expect(counter.calls[2]).toEqual({ method: 'vm.destroy', provider: 'local', mutating: true, items: 2 });
    counter.reset();
    expect(counter.total).toBe(0);
  });
});
