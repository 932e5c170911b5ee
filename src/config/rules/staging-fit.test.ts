import { describe, expect, it } from 'vitest';
import { codes, dockerPool, LOCAL_PROVIDER, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const workspace = (cores: number, memory: number, gpus = 0) => `kind: Workspace\nname: big\nimage: img\ncores: ${cores}\nmemory_mb: ${memory}\ngpus: ${gpus}\n`;
const staging = 'staging:\n  - { name: s, workspace: big, autoscale: standby, num_sessions: 1 }\n';

describe('staging-does-not-fit', () => {
  it('accepts a workspace that fits a local agent (4 cores, 8192 MB by default)', async () => {
    expect(codes(await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${workspace(4, 8192)}---\n${dockerPool('', staging)}` }))).toEqual([]);
  });
  it('rejects one that needs more than an agent offers', async () => {
    const r = await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${workspace(8, 4096, 1)}---\n${dockerPool('', staging)}` });
    expect(only(r, 'staging-does-not-fit')).toMatchObject([{ path: '/staging/0/workspace' }]);
    expect(only(r, 'staging-does-not-fit')[0]?.message).toContain('8 cores > 4');
    expect(only(r, 'staging-does-not-fit')[0]?.message).toContain('1 GPUs > 0');
  });
  it('uses the agent overrides when set', async () => {
    const pool = dockerPool('agent_cores_override: 16\nagent_memory_override_gb: 64\nagent_gpus_override: 2', staging);
    expect(codes(await loadStrings({ 'a.yaml': `${LOCAL_PROVIDER}---\n${workspace(8, 32768, 1)}---\n${pool}` }))).toEqual([]);
  });
});
