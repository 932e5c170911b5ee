// `plan --destroy` / `destroy`: the configuration with no pools. Planned against
// the state, it destroys every server poolform manages (VMs with their DNS and
// AD records, fixed server registrations), with the usual safety: an idle
// server is destroyed, a busy one is drained first (no new sessions) and
// destroyed once its sessions end. Providers, zones and settings stay, so the
// providers can be asked what exists and told to delete it. Pure.
import type { Config } from '../config/model.ts';

/** The line that opens a destroy plan's text. */
export const DESTROY_PLAN_NOTE =
  'Destroy plan: everything poolform manages in this state is destroyed (busy servers are drained first, destroyed once their sessions end).\n\n';

/** A destroy plan's text: "your pools match the configuration" would be wrong there. */
export function destroyPlanText(text: string): string {
  return text.replace('No changes. Your pools match the configuration.', 'No changes. Nothing poolform manages is left to destroy.');
}

export function destroyConfig(config: Config): Config {
  return { ...config, pools: [] };
}
