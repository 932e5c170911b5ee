import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';
import { findAutoscale, findAutoscaleByKey, findFixedServer, findPool, findVmProvider, findWorkspace, findZone, sourceDir } from './lookup.ts';
import { writeConfigDir } from '../../test/fixtures/config/load-strings.ts';

describe('lookup helpers', () => {
  it('find objects by name and say where they were defined', async () => {
    const dir = await writeConfigDir({
      'providers/local.yaml': 'kind: VmProvider\nname: local\ntype: local\nmax_instances: 1\nstartup_script: x\n',
      'pools.yaml':
        'kind: Zone\nname: z\n---\nkind: Workspace\nname: w\nimage: i\n---\nkind: Pool\nname: p\ntype: server\nservers:\n  - { name: s, hostname: h, connection_type: rdp }\nautoscale:\n  - { name: a, vm_provider: local, connection_type: rdp }\n',
    });
    const { config } = await loadConfig(dir);
    if (!config) throw new Error('invalid');
    const pool = findPool(config, 'p');
    expect(pool?.name).toBe('p');
    expect(findPool(config, 'q')).toBeUndefined();
    expect(findVmProvider(config, 'local')?.max_instances).toBe(1);
    expect(findZone(config, 'z')?.name).toBe('z');
    expect(findWorkspace(config, 'w')?.cores).toBe(1);
    expect(pool && findAutoscale(pool, 'a')?.vm_provider).toBe('local');
    expect(pool && findFixedServer(pool, 's')?.hostname).toBe('h');
    expect(findAutoscaleByKey(config, 'p/a')?.autoscale.name).toBe('a');
    expect(findAutoscaleByKey(config, 'p/zz')).toBeUndefined();
    expect(sourceDir(config, 'VmProvider/local')).toBe(join(config.dir, 'providers'));
    expect(sourceDir(config, 'Pool/p/autoscale/a')).toBe(config.dir);
  });
});
