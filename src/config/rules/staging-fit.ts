// staging-does-not-fit: a staged session must fit on one docker agent of its
// autoscale config, or the autoscaler could never place it (and would keep
// adding agents up to max_instances). An agent offers the autoscale config's
// agent_*_override values, else what a `local` provider VM reports; for other
// providers without overrides the size is unknown and nothing is checked.
import type { Rule } from './context.ts';
import type { AutoscaleConfig, VmProvider, Workspace } from '../model.ts';
import { findAutoscale, findVmProvider, findWorkspace } from '../lookup.ts';

export interface AgentSize {
  cores?: number;
  memoryMb?: number;
  gpus?: number;
}

export function agentSize(autoscale: AutoscaleConfig, provider: VmProvider | undefined): AgentSize {
  const local = provider?.type === 'local' ? provider : undefined;
  const memoryGb = autoscale.agent_memory_override_gb;
  return {
    cores: autoscale.agent_cores_override ?? local?.cores,
    memoryMb: memoryGb !== undefined ? memoryGb * 1024 : local?.memory_mb,
    gpus: autoscale.agent_gpus_override ?? local?.gpus,
  };
}

/** What of a workspace does not fit an agent, e.g. ["4 cores > 2"]. */
export function misfit(workspace: Workspace, agent: AgentSize): string[] {
  const out: string[] = [];
  const cores = workspace.cores ?? 1;
  const memory = workspace.memory_mb ?? 2048;
  const gpus = workspace.gpus ?? 0;
  if (agent.cores !== undefined && cores > agent.cores) out.push(`${cores} cores > ${agent.cores}`);
  if (agent.memoryMb !== undefined && memory > agent.memoryMb) out.push(`${memory} MB memory > ${agent.memoryMb} MB`);
  if (agent.gpus !== undefined && gpus > agent.gpus) out.push(`${gpus} GPUs > ${agent.gpus}`);
  return out;
}

export const stagingFits: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    if (pool.type !== 'docker_agent') continue;
    (pool.staging ?? []).forEach((staging, i) => {
      const workspace = findWorkspace(ctx.config, staging.workspace);
      const autoscale = findAutoscale(pool, staging.autoscale);
      if (!workspace || !autoscale) return; // unknown-reference reports these
      const provider = findVmProvider(ctx.config, autoscale.vm_provider);
      const problems = misfit(workspace, agentSize(autoscale, provider));
      if (problems.length > 0) {
        ctx.report(
          'error',
          'staging-does-not-fit',
          `workspace ${workspace.name} needs more than one agent of autoscale config ${autoscale.name} offers (${problems.join(', ')}): its sessions can never be placed`,
          { doc: pool, path: ['staging', i, 'workspace'] },
        );
      }
    });
  }
};
