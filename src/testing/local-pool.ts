// The smallest useful config for daemon and serve tests: a `local` VM provider
// (at most 5) and one server pool, desktops/day, over RDP. Shared by the
// watcher, daemon and config-reload suites, which only vary the minimum, the
// Settings lines and what is appended.

export interface LocalPoolOptions {
  /** minimum_available_sessions of desktops/day (default 1). */
  minimum?: number;
  /** Extra `key: value` lines in the Settings document (after reconcile_interval: 1h). */
  settings?: readonly string[];
  /** Text appended after the pool (e.g. a Schedule document). */
  extra?: string;
}

export function localPoolYaml(options: LocalPoolOptions = {}): string {
  const settings = ['reconcile_interval: 1h', ...(options.settings ?? [])].join('\n');
  return `kind: Settings
${settings}
---
kind: VmProvider
name: local
type: local
max_instances: 5
startup_script: "echo {server_id}"
---
kind: Pool
name: desktops
type: server
autoscale:
  - name: day
    vm_provider: local
    connection_type: rdp
    minimum_available_sessions: ${options.minimum ?? 1}
${options.extra ?? ''}`;
}

/** Polls `pred` every 25 ms until it holds, or throws after `ms` naming `what`. */
export async function waitUntil(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
