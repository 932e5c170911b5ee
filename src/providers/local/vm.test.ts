import { mkdtemp, mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalVmProvider } from '../../generated/config.ts';
import { isPoolformError } from '../../util/errors.ts';
import { defineVmProviderConformance } from '../conformance.ts';
import type { VmCreateRequest, VmProviderClient } from '../types.ts';
import { createLocalVmProvider, readVmRecord } from './vm.ts';
import type { LocalVmBootRequest } from './vm.ts';

const config = (over: Partial<LocalVmProvider> = {}): LocalVmProvider => ({
  kind: 'VmProvider',
  name: 'local',
  type: 'local',
  max_instances: 10,
  startup_script: 'unused: the request carries the rendered script',
  ...over,
});

const request = (over: Partial<VmCreateRequest> = {}): VmCreateRequest => ({
  intent_id: 'intent-1',
  server_id: 'srv-1',
  hostname: 'lab-srv1',
  pool: 'lab',
  autoscale: 'default',
  user_data: '#!/bin/sh\necho hello\n',
  ...over,
});

/** Whether a process is gone (a zombie waiting to be reaped counts as gone). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

defineVmProviderConformance('local', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'pf-localvm-conf-'));
  const client = createLocalVmProvider({ config: config({ cores: 2, memory_mb: 2048 }), stateDir });
  const other = createLocalVmProvider({ config: config({ name: 'other' }), stateDir });
  return {
    client,
    userData: '#!/bin/sh\nsleep 30\n',
    async createForeign() {
      const vm = await other.create(request({ intent_id: 'foreign', server_id: 'foreign-1', user_data: 'true\n' }));
      await mkdir(join(stateDir, 'local-vms', 'not-a-vm'));
      return { server_id: vm.server_id };
    },
    async cleanup() {
      for (const c of [client, other]) await c.destroy((await c.observe()).map((v) => ({ provider_id: v.provider_id, server_id: v.server_id })));
      await rm(stateDir, { recursive: true, force: true });
    },
  };
});

describe('local VM provider', () => {
  let stateDir: string;
  let clients: VmProviderClient[];
  const make = (over: Partial<LocalVmProvider> = {}, extra: { spawn?: (r: LocalVmBootRequest) => number; clock?: () => Date } = {}): VmProviderClient => {
    const client = createLocalVmProvider({ config: config(over), stateDir, ...extra });
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'pf-localvm-'));
    clients = [];
  });
  afterEach(async () => {
    for (const c of clients) await c.destroy((await c.observe()).map((v) => ({ provider_id: v.provider_id, server_id: v.server_id })));
    await rm(stateDir, { recursive: true, force: true });
  });

  it('boots: runs the rendered startup script in the VM directory, output in output.log', async () => {
    const client = make();
    const script = '#!/bin/sh\necho "booted $POOLFORM_LOCAL_VM"\necho marker > proof.txt\necho oops >&2\n';
    const vm = await client.create(request({ user_data: script }));
    expect(vm).toMatchObject({ provider_id: 'srv-1', private_ip: '127.0.0.1', public_ip: '127.0.0.1', state: 'running', intent_id: 'intent-1' });
    const dir = join(stateDir, 'local-vms', 'srv-1');
    // the last thing the script does is write "oops" to stderr
    await waitFor(async () => (await readFile(join(dir, 'output.log'), 'utf8')).includes('oops'));
    expect(await readFile(join(dir, 'proof.txt'), 'utf8')).toBe('marker\n');
    expect(await readFile(join(dir, 'output.log'), 'utf8')).toBe('booted srv-1\noops\n');
    expect(await readFile(join(dir, 'startup.sh'), 'utf8')).toBe(script);
    expect((await stat(join(dir, 'startup.sh'))).mode & 0o077).toBe(0);
    const record = await readVmRecord(dir);
    expect(record).toMatchObject({
      poolform: 1,
      provider: 'local',
      intent_id: 'intent-1',
      server_id: 'srv-1',
      pool: 'lab',
      autoscale: 'default',
      hostname: 'lab-srv1',
    });
    expect(record?.pid).toBeGreaterThan(1);
  });

  it('the script does not inherit poolform environment', async () => {
    const client = make();
    process.env['PF_TEST_SECRET_SHOULD_NOT_LEAK'] = 'x';
    try {
      await client.create(request({ user_data: 'env > env.tmp && mv env.tmp env.txt\n' }));
    } finally {
      delete process.env['PF_TEST_SECRET_SHOULD_NOT_LEAK'];
    }
    const file = join(stateDir, 'local-vms', 'srv-1', 'env.txt');
    await waitFor(() => existsSync(file));
    const env = await readFile(file, 'utf8');
    expect(env).not.toContain('PF_TEST_SECRET_SHOULD_NOT_LEAK');
    expect(env).toContain('POOLFORM_LOCAL_VM=srv-1');
  });

  it('destroy kills a long-running script and everything it started, and removes the directory', async () => {
    const client = make();
    await client.create(request({ user_data: 'sleep 60 &\necho $! > child.pid\nwhile true; do sleep 1; done\n' }));
    const dir = join(stateDir, 'local-vms', 'srv-1');
    await waitFor(() => existsSync(join(dir, 'child.pid')) && readFileSync(join(dir, 'child.pid'), 'utf8').endsWith('\n'));
    const pid = (await readVmRecord(dir))?.pid ?? 0;
    const child = Number(await readFile(join(dir, 'child.pid'), 'utf8'));
    expect(processGone(pid)).toBe(false);
    expect(processGone(child)).toBe(false);
    const results = await client.destroy([{ provider_id: 'srv-1', server_id: 'srv-1' }]);
    expect(results).toEqual([{ item: { provider_id: 'srv-1', server_id: 'srv-1' } }]);
    await waitFor(() => processGone(pid) && processGone(child));
    expect(existsSync(dir)).toBe(false);
    expect(await client.observe()).toEqual([]);
  });

  it('boot_delay: pending until the delay has passed, script not run before', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const client = make({ boot_delay: '1s' }, { clock: () => now });
    const vm = await client.create(request({ user_data: 'echo ran > ran.txt\n' }));
    expect(vm.state).toBe('pending');
    const dir = join(stateDir, 'local-vms', 'srv-1');
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
    await waitFor(() => existsSync(join(dir, 'ran.txt')), 5000);
    now = new Date('2026-01-01T00:00:01Z');
    expect((await client.observe())[0]?.state).toBe('running');
  });

  it('create is idempotent by intent id; another intent for the same server id is a conflict', async () => {
    let spawned = 0;
    const client = make({}, { spawn: () => (spawned++, 999_999_999) });
    const a = await client.create(request());
    const b = await client.create(request());
    expect(b).toEqual(a);
    expect(spawned).toBe(1);
    const err = await client.create(request({ intent_id: 'intent-2' })).catch((e: unknown) => e);
    expect(isPoolformError(err) && err.code).toBe('local-vm-conflict');
    expect(await client.observe()).toHaveLength(1);
  });

  it('concurrent creates of one intent boot once', async () => {
    let spawned = 0;
    const client = make({}, { spawn: () => (spawned++, 999_999_998) });
    const all = await Promise.all([client.create(request()), client.create(request()), client.create(request())]);
    expect(new Set(all.map((v) => v.provider_id)).size).toBe(1);
    expect(spawned).toBe(1);
  });

  it('a VM whose boot never happened (crash after the rename) is pending, and create with its intent boots it', async () => {
    const dir = join(stateDir, 'local-vms', 'srv-1');
    await mkdir(dir, { recursive: true });
    const record = {
      poolform: 1,
      provider: 'local',
      intent_id: 'intent-1',
      server_id: 'srv-1',
      pool: 'lab',
      autoscale: 'default',
      hostname: 'lab-srv1',
      created_at: '2026-01-01T00:00:00.000Z',
      boot_at: '2026-01-01T00:00:00.000Z',
      pid: null,
    };
    await writeFile(join(dir, 'vm.json'), JSON.stringify(record));
    await writeFile(join(dir, 'startup.sh'), 'echo late > late.txt\n');
    const client = make();
    expect((await client.observe())[0]?.state).toBe('pending');
    const vm = await client.create(request());
    expect(vm.state).toBe('running');
    await waitFor(() => existsSync(join(dir, 'late.txt')));
  });

  it('a VM whose script started but whose pid was never recorded is adopted, not started twice', async () => {
    const client = make();
    await client.create(request({ user_data: 'echo run >> runs.txt\nsleep 30\n' }));
    const dir = join(stateDir, 'local-vms', 'srv-1');
    const record = await readVmRecord(dir);
    const pid = record?.pid;
    await writeFile(join(dir, 'vm.json'), JSON.stringify({ ...record, pid: null }));
    await waitFor(() => existsSync(join(dir, 'runs.txt')));
    const again = await client.create(request());
    expect(again.state).toBe('running');
    expect((await readVmRecord(dir))?.pid).toBe(pid);
    await new Promise((r) => setTimeout(r, 200));
    expect(await readFile(join(dir, 'runs.txt'), 'utf8')).toBe('run\n');
  });

  it('observe ignores half-made and foreign directories; destroy refuses what it does not own', async () => {
    const client = make({}, { spawn: () => 999_999_997 });
    const root = join(stateDir, 'local-vms');
    await mkdir(join(root, '.tmp-srv-9-123'), { recursive: true });
    await writeFile(join(root, '.tmp-srv-9-123', 'vm.json'), '{}');
    await mkdir(join(root, 'handmade'));
    await mkdir(join(root, 'broken'));
    await writeFile(join(root, 'broken', 'vm.json'), '{not json');
    await writeFile(join(root, 'stray-file'), 'x');
    await mkdir(join(root, '.deleting-srv-8-1'));
    await utimes(join(root, '.deleting-srv-8-1'), new Date('2020-01-01'), new Date('2020-01-01'));
    await client.create(request());
    expect((await client.observe()).map((v) => v.server_id)).toEqual(['srv-1']);
    // abandoned leftovers are swept, fresh ones (a create in progress elsewhere) are kept
    expect(existsSync(join(root, '.deleting-srv-8-1'))).toBe(false);
    expect(existsSync(join(root, '.tmp-srv-9-123'))).toBe(true);
    const results = await client.destroy([
      { provider_id: 'handmade', server_id: 'handmade' },
      { provider_id: 'x', server_id: '../etc' },
    ]);
    expect(results.map((r) => r.error && isPoolformError(r.error) && r.error.code)).toEqual(['local-vm-not-owned', 'invalid-request']);
    expect(existsSync(join(root, 'handmade'))).toBe(true);
    await expect(client.create(request({ server_id: '../escape' }))).rejects.toThrow(/cannot name a directory/);
  });

  it('keeps VMs of other provider configs apart', async () => {
    const a = make({}, { spawn: () => 999_999_996 });
    const b = make({ name: 'other' }, { spawn: () => 999_999_995 });
    await a.create(request());
    await b.create(request({ server_id: 'srv-2', intent_id: 'i2' }));
    expect((await a.observe()).map((v) => v.server_id)).toEqual(['srv-1']);
    expect((await b.observe()).map((v) => v.server_id)).toEqual(['srv-2']);
    const r = await b.destroy([{ provider_id: 'srv-1', server_id: 'srv-1' }]);
    expect(r[0]?.error?.message).toMatch(/not a VM of VmProvider other/);
    await expect(b.create(request())).rejects.toThrow(/belongs to VmProvider local/);
  });

  it('the script keeps running after the creating process exits', async () => {
    // A separate node process creates the VM and exits; the script must still be running afterwards.
    const { spawnSync } = await import('node:child_process');
    const code = `
      import { createLocalVmProvider } from ${JSON.stringify(new URL('./vm.ts', import.meta.url).pathname)};
      const c = createLocalVmProvider({ config: { kind: 'VmProvider', name: 'local', type: 'local', max_instances: 1, startup_script: '' }, stateDir: ${JSON.stringify(stateDir)} });
      await c.create({ intent_id: 'i', server_id: 'srv-bg', hostname: 'h', pool: 'p', autoscale: 'a', user_data: 'sleep 1; echo survived > survived.txt\\n' });
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const file = join(stateDir, 'local-vms', 'srv-bg', 'survived.txt');
    expect(existsSync(file)).toBe(false);
    await waitFor(() => existsSync(file), 8000);
    make();
  });

  it('capacity comes from the config', async () => {
    expect(await make().capacity()).toBeUndefined();
    expect(await make({ cores: 4, memory_mb: 8192, gpus: 1 }).capacity()).toEqual({ cores: 4, memory_mb: 8192, gpus: 1 });
    expect(await make({ cores: 2 }).capacity()).toEqual({ cores: 2, memory_mb: 0, gpus: 0 });
  });

  it('observe of a state path without VMs is empty; lists many VMs in one pass', async () => {
    const client = make({}, { spawn: () => 999_999_994 });
    expect(await client.observe()).toEqual([]);
    await Promise.all(Array.from({ length: 200 }, (_, i) => client.create(request({ server_id: `s-${String(i).padStart(3, '0')}`, intent_id: `i-${i}` }))));
    const vms = await client.observe();
    expect(vms).toHaveLength(200);
    expect(vms[0]?.server_id).toBe('s-000');
    expect((await readdir(join(stateDir, 'local-vms'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
