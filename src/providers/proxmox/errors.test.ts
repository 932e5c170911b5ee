import { describe, expect, it } from 'vitest';
import { TransportError } from '../shared/http-transport.ts';
import { isVmIdTaken, parseErrorAnswer, ProxmoxTaskError, proxmoxRefused, toProxmoxError } from './errors.ts';

const ctx = { where: 'VmProvider pve', operation: 'clone' };

describe('proxmox errors', () => {
  it('reads the reason phrase, the message field and per-parameter errors', () => {
    expect(parseErrorAnswer(500, "VM 105 already exists on node 'pve1'", '{"data":null}').message).toBe("VM 105 already exists on node 'pve1'");
    const e = parseErrorAnswer(400, 'Parameter verification failed.', '{"data":null,"errors":{"newid":"invalid format"}}');
    expect(e.message).toBe('Parameter verification failed. newid: invalid format');
    expect(parseErrorAnswer(502, '', 'Bad gateway <html>').message).toBe('HTTP 502');
    expect(isVmIdTaken(parseErrorAnswer(500, "VM 105 already exists on node 'pve1'", ''))).toBe(true);
  });

  it('maps status, TLS, tasks and no-space texts', () => {
    const cases: [unknown, string, boolean][] = [
      [parseErrorAnswer(401, 'authentication failure', '{"data":null}'), 'proxmox-auth-failed', false],
      [parseErrorAnswer(403, 'Permission check failed (/vms/100, VM.Clone)', ''), 'proxmox-unauthorized', false],
      [parseErrorAnswer(400, 'Parameter verification failed.', ''), 'proxmox-invalid-request', false],
      [parseErrorAnswer(500, 'cluster not ready - no quorum?', ''), 'proxmox-error', true],
      [parseErrorAnswer(500, "storage 'local-lvm' is full", ''), 'proxmox-insufficient-capacity', true],
      [new ProxmoxTaskError('UPID:x', 'clone failed: No space left on device'), 'proxmox-insufficient-capacity', true],
      [new ProxmoxTaskError('UPID:x', 'start failed: QEMU exited with code 1'), 'proxmox-task-failed', true],
      [new TransportError('GET https://pve: unable to verify the first certificate', { cause: null, tls: true }), 'proxmox-tls-failed', false],
      [new TransportError('GET https://pve: ECONNREFUSED', { cause: null, tls: false }), 'proxmox-unreachable', true],
    ];
    for (const [error, code, retryable] of cases) {
      const mapped = toProxmoxError(error, ctx);
      expect([mapped.code, mapped.retryable, mapped.message.startsWith('VmProvider pve: ')]).toEqual([code, retryable, true]);
    }
    expect(toProxmoxError(cases[7]?.[0], ctx).message).toContain('TLS: certificate not trusted');
  });

  it('refusals are what made nothing', () => {
    expect(proxmoxRefused(new ProxmoxTaskError('u', 'x'))).toBe(true);
    expect(proxmoxRefused(parseErrorAnswer(400, 'bad', ''))).toBe(true);
    expect(proxmoxRefused(parseErrorAnswer(500, 'got timeout', ''))).toBe(false);
  });
});
