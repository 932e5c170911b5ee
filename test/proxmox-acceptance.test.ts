// Acceptance test against a real Proxmox VE cluster: one VM cloned from the
// template, handed a startup script through the guest agent, observed and
// destroyed through the provider. Runs only with POOLFORM_ACC_PROXMOX=1 and
// PVE_API_URL, PVE_TOKEN_ID, PVE_TOKEN_SECRET, PVE_NODE, PVE_TEMPLATE_VMID
// (optional PVE_CA_CERT, PVE_STORAGE, PVE_POOL), as docs/providers/proxmox.md
// describes; skipped otherwise, with the reason in the suite's name.
// Everything is deleted in `finally`.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import type { ProxmoxVmProvider } from '../src/generated/config.ts';
import { createProxmoxVmProvider } from '../src/providers/proxmox/index.ts';
import { acceptanceGate, expectVmRoundTrip } from './support/acceptance.ts';

const env = process.env;
const { enabled, reason } = acceptanceGate(
  'POOLFORM_ACC_PROXMOX',
  ['PVE_API_URL', 'PVE_TOKEN_ID', 'PVE_TOKEN_SECRET', 'PVE_NODE', 'PVE_TEMPLATE_VMID'],
  'skipped: set POOLFORM_ACC_PROXMOX=1 and the PVE_* variables to run against a real Proxmox VE cluster',
);

describe.skipIf(!enabled)(`Proxmox VE acceptance (real cluster)${enabled ? '' : ` — ${reason}`}`, () => {
  it('clones, starts, runs the script, observes and destroys a VM', { timeout: 30 * 60_000 }, async () => {
    const config: ProxmoxVmProvider = {
      kind: 'VmProvider',
      name: 'acc',
      type: 'proxmox',
      max_instances: 1,
      api_url: env['PVE_API_URL'] ?? '',
      token_id: env['PVE_TOKEN_ID'] ?? '',
      token_secret: '(resolved)',
      node: env['PVE_NODE'] ?? '',
      template_vmid: Number(env['PVE_TEMPLATE_VMID']),
      ...(env['PVE_STORAGE'] ? { full_clone: true, storage: env['PVE_STORAGE'] } : {}),
      ...(env['PVE_POOL'] ? { pool: env['PVE_POOL'] } : {}),
      startup_script: '#!/bin/sh\necho poolform-acceptance > /tmp/poolform-acceptance\n',
    };
    const client = createProxmoxVmProvider({
      config,
      secrets: { tokenSecret: env['PVE_TOKEN_SECRET'] ?? '', ...(env['PVE_CA_CERT'] ? { caCert: readFileSync(env['PVE_CA_CERT'], 'utf8') } : {}) },
    });
    await expectVmRoundTrip(client, config.startup_script, { observedState: 'running' });
  });
});
