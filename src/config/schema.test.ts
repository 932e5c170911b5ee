import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { documentValidator, poolformSchema } from './schema-validator.ts';
import type { JsonSchema } from './schema-validator.ts';
import { renderReferencePage } from '../../scripts/gen-config-docs-lib.ts';
import { poolTypeOnlyFields, sshOnlyFields } from './rules/schema-fields.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the combined schema', () => {
  it('documents every property, nested ones included, with its own description (editor hover docs)', () => {
    const missing: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) for (const [i, item] of node.entries()) walk(item, `${at}/${i}`);
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
      const props = (node as JsonSchema)['properties'];
      if (props !== null && typeof props === 'object') {
        for (const [prop, schema] of Object.entries(props as Record<string, JsonSchema>)) {
          const description = schema['description'];
          if (typeof description !== 'string' || description.trim() === '') missing.push(`${at}/properties/${prop}`);
        }
      }
      for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`);
    };
    walk(poolformSchema(), '#');
    expect(missing).toEqual([]);
  });

  it('is compiled once per process', () => {
    expect(documentValidator()).toBe(documentValidator());
  });

  it('marks pool-type-only and SSH-only fields in descriptions', () => {
    expect(poolTypeOnlyFields('AutoscaleConfig', 'docker_agent')).toEqual(
      expect.arrayContaining(['standby_cores', 'standby_gpus', 'standby_memory_mb', 'agent_cores_override', 'nginx_key']),
    );
    expect(poolTypeOnlyFields('AutoscaleConfig', 'server')).toEqual(
      expect.arrayContaining([
        'connection_type',
        'connection_port',
        'ad_create_machine_record',
        'reusable',
        'minimum_available_sessions',
        'max_simultaneous_sessions_per_server',
      ]),
    );
    expect(poolTypeOnlyFields('AutoscaleConfig', 'server')).not.toContain('register_dns');
    expect(poolTypeOnlyFields('Pool', 'server')).toEqual(['servers']);
    expect(poolTypeOnlyFields('Pool', 'docker_agent')).toEqual(['agents', 'staging']);
    expect(sshOnlyFields('FixedServer').sort()).toEqual(['connection_passphrase', 'connection_private_key', 'use_user_private_key']);
    expect(sshOnlyFields('AutoscaleConfig').sort()).toEqual(['connection_passphrase', 'connection_private_key', 'use_user_private_key']);
  });

  it('covers every field of both autoscale tables of the reference', () => {
    const props = Object.keys(((poolformSchema()['$defs'] as Record<string, JsonSchema>)['AutoscaleConfig']?.['properties'] ?? {}) as JsonSchema);
    for (const field of [
      'name',
      'autoscale_type',
      'enabled',
      'aggressive_scaling',
      'zone',
      'require_checkin',
      'agent_installed',
      'connection_type',
      'connection_port',
      'connection_username',
      'connection_password',
      'use_user_private_key',
      'connection_private_key',
      'connection_passphrase',
      'connection_info',
      'ad_create_machine_record',
      'ldap_config',
      'ad_computer_container_dn',
      'reusable',
      'minimum_available_sessions',
      'max_simultaneous_sessions_per_server',
      'standby_cores',
      'standby_gpus',
      'standby_memory_mb',
      'downscale_backoff',
      'agent_cores_override',
      'agent_gpus_override',
      'agent_memory_override_gb',
      'nginx_cert',
      'nginx_key',
      'register_dns',
      'base_domain_name',
      'vm_provider',
      'dns_provider',
    ]) {
      expect(props).toContain(field);
    }
  });
});

describe('docs and examples', () => {
  it('docs/reference/configuration.md is fresh (run `npm run gen` when this fails)', () => {
    const doc = readFileSync(`${root}docs/reference/configuration.md`, 'utf8');
    expect(doc).toBe(renderReferencePage(poolformSchema()));
  });

  it('every config.example file starts with the yaml-language-server schema modeline', () => {
    const files = readdirSync(`${root}config.example`).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      expect(readFileSync(`${root}config.example/${f}`, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/poolform.schema.json');
    }
  });
});
