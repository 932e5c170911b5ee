// Resource vectors (cores, memory MB, GPUs) of docker agents and sessions.
import type { Config } from '../config/model.ts';
import type { Resources } from '../model/compute.ts';
import { findWorkspace } from '../config/lookup.ts';

export const DIMENSIONS = ['cores', 'memory_mb', 'gpus'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Schema defaults of a Workspace's resources (used when a request names no or an unknown workspace). */
export const DEFAULT_SESSION_RESOURCES: Readonly<Resources> = { cores: 1, memory_mb: 2048, gpus: 0 };

export function zero(): Resources {
  return { cores: 0, memory_mb: 0, gpus: 0 };
}

export function addInto(target: Resources, r: Readonly<Resources>, times = 1): void {
  target.cores += r.cores * times;
  target.memory_mb += r.memory_mb * times;
  target.gpus += r.gpus * times;
}

/** a − b, each dimension at least 0. */
export function freeOf(capacity: Readonly<Resources>, used: Readonly<Resources> | null): Resources {
  return {
    cores: Math.max(0, capacity.cores - (used?.cores ?? 0)),
    memory_mb: Math.max(0, capacity.memory_mb - (used?.memory_mb ?? 0)),
    gpus: Math.max(0, capacity.gpus - (used?.gpus ?? 0)),
  };
}

export function fits(need: Readonly<Resources>, free: Readonly<Resources>): boolean {
  return need.cores <= free.cores && need.memory_mb <= free.memory_mb && need.gpus <= free.gpus;
}

/** What one session of the named workspace needs (schema defaults fill what the workspace leaves out). */
export function workspaceResources(config: Config, name: string | null): Resources {
  const workspace = name === null ? undefined : findWorkspace(config, name);
  return {
    cores: workspace?.cores ?? DEFAULT_SESSION_RESOURCES.cores,
    memory_mb: workspace?.memory_mb ?? DEFAULT_SESSION_RESOURCES.memory_mb,
    gpus: workspace?.gpus ?? DEFAULT_SESSION_RESOURCES.gpus,
  };
}

/** Rounds away floating-point noise from sums of fractional cores. */
function tidy(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** "2 cores, 4096 MB, 1 GPU". */
export function formatResources(r: Readonly<Resources>): string {
  const gpus = tidy(r.gpus);
  return `${tidy(r.cores)} cores, ${tidy(r.memory_mb)} MB, ${gpus} GPU${gpus === 1 ? '' : 's'}`;
}
