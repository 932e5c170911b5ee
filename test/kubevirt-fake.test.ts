// The fake Kubernetes API itself follows the conventions the providers rely
// on: Status bodies, 409/404, label selectors, limit/continue pagination,
// garbage collection of owned objects, resourceVersion conflicts, auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeCaCert, FAKE_TOKEN, startSecureFakeKube } from './fakes/kubernetes/harness.ts';
import { type FakeKube, parseLabelSelector } from './fakes/kubernetes/server.ts';
import { request } from 'node:https';

let fake: FakeKube;
beforeAll(async () => {
  fake = await startSecureFakeKube();
});
afterAll(async () => {
  await fake.close();
});

function call(method: string, path: string, body?: unknown, token = FAKE_TOKEN): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = body !== undefined ? JSON.stringify(body) : '';
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
    const req = request(`${fake.url}${path}`, { method, ca: fakeCaCert(), headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> });
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(text);
  });
}

const VMS = '/apis/kubevirt.io/v1/namespaces/f/virtualmachines';

describe('fake Kubernetes API', () => {
  it('label selectors: equality, inequality, set-based, existence', () => {
    const match = (sel: string, labels: Record<string, string>) => parseLabelSelector(sel).every((r) => r(labels));
    expect(match('a=1,b==2', { a: '1', b: '2' })).toBe(true);
    expect(match('a!=1', { a: '1' })).toBe(false);
    expect(match('a in (1, 2),!c', { a: '2' })).toBe(true);
    expect(match('a notin (1),b', { a: '3' })).toBe(false);
    expect(match('', {})).toBe(true);
  });

  it('create, 409 AlreadyExists, 404 NotFound as Status objects; PUT with a stale resourceVersion is a 409 Conflict', async () => {
    const created = await call('POST', VMS, { metadata: { name: 'x', labels: { k: 'v' } }, spec: {} });
    expect(created.status).toBe(201);
    const rv = (created.json['metadata'] as { resourceVersion: string }).resourceVersion;
    const again = await call('POST', VMS, { metadata: { name: 'x' }, spec: {} });
    expect(again).toMatchObject({ status: 409, json: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', code: 409 } });
    expect((await call('PUT', `${VMS}/x`, { metadata: { name: 'x', resourceVersion: rv }, spec: { a: 1 } })).status).toBe(200);
    expect((await call('PUT', `${VMS}/x`, { metadata: { name: 'x', resourceVersion: rv }, spec: { a: 2 } })).json).toMatchObject({
      reason: 'Conflict',
      code: 409,
    });
    expect((await call('GET', `${VMS}/nope`)).json).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect((await call('DELETE', `${VMS}/nope`)).status).toBe(404);
    expect((await call('GET', VMS, undefined, 'bad')).json).toMatchObject({ reason: 'Unauthorized', code: 401 });
  });

  it('lists page with limit and continue, filtered by labelSelector', async () => {
    for (let i = 0; i < 5; i++) await call('POST', VMS, { metadata: { name: `p${i}`, labels: { page: 'yes' } }, spec: {} });
    const first = await call('GET', `${VMS}?labelSelector=page%3Dyes&limit=2`);
    const items = (r: { json: Record<string, unknown> }) => (r.json['items'] as { metadata: { name: string } }[]).map((o) => o.metadata.name);
    expect(items(first)).toEqual(['p0', 'p1']);
    const token = (first.json['metadata'] as { continue: string }).continue;
    const second = await call('GET', `${VMS}?labelSelector=page%3Dyes&limit=10&continue=${token}`);
    expect(items(second)).toEqual(['p2', 'p3', 'p4']);
    expect((second.json['metadata'] as { continue?: string }).continue).toBeUndefined();
  });

  it('deleting an owner garbage-collects its dependents (VMI, DataVolume, owned Secret)', async () => {
    const vm = await call('POST', VMS, {
      metadata: { name: 'gc' },
      spec: { runStrategy: 'Always', dataVolumeTemplates: [{ metadata: { name: 'gc-rootdisk' }, spec: {} }], template: { metadata: { labels: {} }, spec: {} } },
    });
    const uid = (vm.json['metadata'] as { uid: string }).uid;
    await call('POST', '/api/v1/namespaces/f/secrets', {
      metadata: { name: 'gc-cloudinit', ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'gc', uid }] },
      data: {},
    });
    expect(fake.objects('virtualmachineinstances', 'f').map((o) => o.metadata.name)).toContain('gc');
    await call('DELETE', `${VMS}/gc`, { propagationPolicy: 'Foreground' });
    for (const plural of ['virtualmachineinstances', 'datavolumes', 'secrets'])
      expect(fake.objects(plural, 'f').filter((o) => o.metadata.name.startsWith('gc'))).toEqual([]);
  });
});
