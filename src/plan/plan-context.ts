// Shared state of one buildPlan run: indexes over the snapshot, the changes
// being collected, and the rules for unknown observations. The planner's
// steps (fixed servers, VMs, records) each read and extend it. Pure.
import type { DecisionResult } from '../autoscale/types.ts';
import type { AutoscaleConfig, Config, Pool } from '../config/model.ts';
import { autoscaleKey } from '../config/model.ts';
import { intentPayloadView } from '../model/intent-payload.ts';
import type { Observed, ObserveKind } from '../model/observed.ts';
import { directoryScopeKey, dnsScopeKey, observeErrorFor } from '../model/observed.ts';
import type { Resources } from '../model/compute.ts';
import type { JsonObject } from '../model/json.ts';
import type { IntentRecord, ResourceRecord } from '../model/resource.ts';
import type { ServerRecord } from '../model/server.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { nameOf } from './addresses.ts';
import { vmAttributeView } from './attribute-views.ts';
import type { PlanDiagnostic, PlanDiagnosticCode, PlanDiagnosticSeverity } from './diagnostics.ts';
import type { IdGen } from './names.ts';
import type { DriftEntry, ResourceChange, StateCleanup } from './types.ts';

export interface BuildPlanArgs {
  config: Config;
  snapshot: Snapshot;
  /** What providers reported; null when not refreshed (`--refresh=false`). */
  observed: Observed | null;
  result: DecisionResult;
  /** ISO time the plan is made (created_at). */
  now: string;
  /** ISO instant the decisions were made for (`--at`); default `now`. */
  at?: string;
  idGen: IdGen;
  /** `--target`: limit the plan to these addresses (or address prefixes) and what they depend on. */
  targets?: readonly string[];
  /** Per VmProvider name: what one VM offers (docker agent sizing without overrides). */
  providerCapacity?: Readonly<Record<string, Resources>>;
  /** How long an unfinished VM create whose VM is not listed yet is waited for (default per provider: intentGraceFor). */
  intentGraceMs?: number;
}

/** A server the plan knows about, with what happens to it. */
export interface ServerPlan {
  serverId: string;
  pool: string;
  autoscale: string;
  hostname: string;
  address: string;
  /** VmProvider it lives on (or will). */
  provider: string;
  fate: 'keep' | 'create' | 'replace' | 'adopt' | 'delete';
  /** The VM's change in this plan, if any. */
  change: ResourceChange | null;
  /** Last known VM attributes (state or observed); null for new VMs. */
  attrs: JsonObject | null;
  /** False when the VM provider is unknown: its records are left alone. */
  known: boolean;
}

export type ScopeStatus = 'ok' | 'unrefreshed' | 'unknown';

export interface PlanContext {
  args: BuildPlanArgs;
  config: Config;
  snapshot: Snapshot;
  observed: Observed | null;
  result: DecisionResult;
  changes: Map<string, ResourceChange>;
  drift: DriftEntry[];
  /** Every diagnostic, in order (plan/diagnostics.ts). */
  diagnostics: PlanDiagnostic[];
  /** Distinct diagnostic messages, in order (the plan's `errors`). */
  errors: string[];
  /** Messages of `error` diagnostics (a subset of `errors`) that make `plan` fail. */
  fatalErrors: string[];
  /** What the plan waits for (e.g. a just-launched VM the provider does not list yet). */
  waiting: string[];
  cleanup: StateCleanup[];
  resources: Map<string, ResourceRecord>;
  serversById: Map<string, ServerRecord>;
  intentsByAddress: Map<string, IntentRecord[]>;
  autoscales: Map<string, { pool: Pool; autoscale: AutoscaleConfig }>;
  /** Server ids and hostnames in use (new ones must differ). */
  takenIds: Set<string>;
  takenHostnames: Set<string>;
  /** Every autoscaled server the plan knows, by server id. */
  serverPlans: Map<string, ServerPlan>;
  put(change: ResourceChange): ResourceChange;
  /** Records a diagnostic (a message already recorded is listed once). */
  report(code: PlanDiagnosticCode, message: string, options?: { severity?: PlanDiagnosticSeverity; address?: string | null }): void;
  /** Reports a provider scope that is unknown without a recorded error (e.g. its config was removed). */
  unknownProvider(kind: ObserveKind, provider: string, scope: string | null, consequence: string): void;
  /** ok: listing known; unrefreshed: trust state; unknown: do nothing on it. */
  scopeStatus(kind: 'dns' | 'directory', provider: string, scope: string): ScopeStatus;
  vmStatus(provider: string): ScopeStatus;
}

export function createPlanContext(args: BuildPlanArgs): PlanContext {
  const { config, snapshot, observed, result } = args;
  const changes = new Map<string, ResourceChange>();
  const drift: DriftEntry[] = [];
  const diagnostics: PlanDiagnostic[] = [];
  const errors: string[] = [];
  const fatalErrors: string[] = [];
  const waiting: string[] = [];
  const cleanup: StateCleanup[] = [];

  const report = (code: PlanDiagnosticCode, message: string, options: { severity?: PlanDiagnosticSeverity; address?: string | null } = {}): void => {
    const severity = options.severity ?? 'warning';
    if (diagnostics.some((d) => d.message === message && d.severity === severity)) return;
    diagnostics.push({ code, severity, address: options.address ?? null, message });
    if (!errors.includes(message)) errors.push(message);
    if (severity === 'error' && !fatalErrors.includes(message)) fatalErrors.push(message);
  };

  const resources = new Map(snapshot.resources.map((r) => [r.address, r]));
  const serversById = new Map(snapshot.servers.map((s) => [s.id, s]));
  const intentsByAddress = new Map<string, IntentRecord[]>();
  for (const i of snapshot.intents) intentsByAddress.set(i.address, [...(intentsByAddress.get(i.address) ?? []), i]);

  const autoscales = new Map<string, { pool: Pool; autoscale: AutoscaleConfig }>();
  for (const pool of config.pools) for (const a of pool.autoscale ?? []) autoscales.set(autoscaleKey(pool.name, a.name), { pool, autoscale: a });

  const takenIds = new Set<string>();
  const takenHostnames = new Set<string>();
  for (const s of snapshot.servers) {
    takenIds.add(s.id);
    takenHostnames.add(s.hostname.toLowerCase());
  }
  for (const r of snapshot.resources) {
    if (r.type === 'vm') {
      const vm = vmAttributeView(r.attributes);
      takenIds.add(vm.server_id ?? nameOf(r.address, 'vm'));
      const h = vm.hostname;
      if (h) takenHostnames.add(h.toLowerCase());
    } else if (r.type === 'ad_computer') {
      takenHostnames.add(nameOf(r.address, 'ad_computer'));
    }
  }
  for (const i of snapshot.intents) {
    const payload = intentPayloadView(i.payload);
    const id = payload.server_id;
    if (id) takenIds.add(id);
    const h = payload.hostname;
    if (h) takenHostnames.add(h.toLowerCase());
  }

  const put = (change: ResourceChange): ResourceChange => {
    changes.set(change.address, change);
    return change;
  };

  /** Message for an unknown provider scope, recorded once. */
  const describe = (kind: ObserveKind, provider: string, scope: string | null): string =>
    kind === 'vm' ? `VmProvider ${provider}` : kind === 'dns' ? `DnsProvider ${provider} (${scope ?? ''})` : `LdapConfig ${provider} (${scope ?? ''})`;
  // Every failed listing is reported once, whatever depends on it.
  for (const e of observed?.errors ?? []) {
    if (e.code === 'dns-zone-not-found') {
      // A configuration problem, not an outage: a plan-time error naming base_domain_name
      // (the provider's message names it when the zone was looked up by it: `field`).
      const what = e.field === 'base_domain_name' ? e.message : `DnsProvider ${e.provider}: no hosted zone for base_domain_name ${e.scope ?? ''}: ${e.message}`;
      const message = `${what}; no DNS records in ${e.scope ?? 'it'} are created or deleted until it exists`;
      report('dns-zone-missing', message, { severity: 'error', address: e.scope });
      continue;
    }
    // Fatal too: with part of the world unknown the plan cannot say the pools match, and
    // applying half a picture is not what an admin reviewed (plan exits 1, apply refuses;
    // the daemon keeps reconciling what it can see).
    const message = `${describe(e.kind, e.provider, e.scope)} could not be observed: ${e.message}${e.code === 'provider-error' ? '' : ` [${e.code}]`}; nothing that depends on it is created or destroyed`;
    report('provider-unobserved', message, { severity: 'error', address: e.scope });
  }
  /** Reports a provider scope that is unknown without a recorded error (e.g. its config was removed). */
  const unknownProvider = (kind: ObserveKind, provider: string, scope: string | null, consequence: string): void => {
    if (observed && observeErrorFor(observed, kind, provider, scope ?? undefined)) return;
    report('provider-unknown', `${describe(kind, provider, scope)} is not configured or was not observed; ${consequence}`, { address: scope });
  };

  /** ok: listing known; unrefreshed: trust state; unknown: do nothing on it. */
  const scopeStatus = (kind: 'dns' | 'directory', provider: string, scope: string): 'ok' | 'unrefreshed' | 'unknown' => {
    if (observed === null) return 'unrefreshed';
    const map = kind === 'dns' ? observed.dns : observed.computers;
    const key = kind === 'dns' ? dnsScopeKey(provider, scope) : directoryScopeKey(provider, scope);
    return map.has(key) ? 'ok' : 'unknown';
  };
  const vmStatus = (provider: string): 'ok' | 'unrefreshed' | 'unknown' => (observed === null ? 'unrefreshed' : observed.vms.has(provider) ? 'ok' : 'unknown');

  return {
    args,
    config,
    snapshot,
    observed,
    result,
    changes,
    drift,
    diagnostics,
    errors,
    fatalErrors,
    waiting,
    cleanup,
    resources,
    serversById,
    intentsByAddress,
    autoscales,
    takenIds,
    takenHostnames,
    serverPlans: new Map(),
    put,
    report,
    unknownProvider,
    scopeStatus,
    vmStatus,
  };
}
