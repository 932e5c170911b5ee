// What every apply step shares: dependencies, the per-provider concurrency
// limiter, the check-in signing key, and the AD join passwords handed from the
// AD step to the VM step (memory only, dropped once the VM is created). Join
// passwords come from the LDAP provider's generator (symbols safe in
// PowerShell, sh and cmd.exe startup scripts).
import { CHECKIN_KEY_NAME, generateSigningKey } from '../auth/checkin-token.ts';
import type { CreateFailure } from '../autoscale/history.ts';
import type { AutoscaleConfig, Pool } from '../config/model.ts';
import { autoscaleKey } from '../config/model.ts';
import type { VmChange } from '../plan/types.ts';
import type { IntentRecord, JsonObject, ResourceRecord, ResourceType } from '../state/types.ts';
import { PoolformError } from '../util/errors.ts';
import type { KeyedLimiter } from '../providers/call-limit.ts';
import { generateJoinPassword } from '../providers/ldap/password.ts';
import type { ApplyDeps, ApplyLog } from './types.ts';
import { silentLog } from './types.ts';

export interface StepContext {
  deps: ApplyDeps;
  log: ApplyLog;
  nowIso(): string;
  signingKey(): Promise<string>;
  newPassword(): string;
  /** serverId → one-time AD join password of this apply. Never persisted or logged. */
  passwords: Map<string, string>;
  /** At most `concurrency` calls at once per key (`vm:<name>`, `dns:<name>`, `ldap:<name>`). */
  limiter: KeyedLimiter;
  autoscale(pool: string, autoscale: string): { pool: Pool; autoscale: AutoscaleConfig } | undefined;
  /** Persists an intent (its id is the provider's idempotency key) and returns it. */
  putIntent(address: string, type: ResourceType, payload: JsonObject): Promise<IntentRecord>;
  /** Records a resource, keeping created_at of an earlier record. */
  putResource(record: Omit<ResourceRecord, 'created_at' | 'updated_at'>): Promise<void>;
  /** Creates the provider refused with a retryable error that made nothing: fed to the autoscale history (create backoff). */
  createFailures: CreateFailure[];
  /** server id → the plan's VM create (or replace) of that server, so the AD step can check its startup script first. */
  vmCreates: Map<string, VmChange>;
}

export function createStepContext(deps: ApplyDeps, limiter: KeyedLimiter): StepContext {
  const { store, registry } = deps;
  let key: Promise<string> | undefined;
  const nowIso = (): string => deps.clock().toISOString();
  const autoscales = new Map<string, { pool: Pool; autoscale: AutoscaleConfig }>();
  for (const pool of deps.config.pools) for (const a of pool.autoscale ?? []) autoscales.set(autoscaleKey(pool.name, a.name), { pool, autoscale: a });

  return {
    deps,
    log: deps.log ?? silentLog,
    nowIso,
    signingKey: () => (key ??= store.getOrCreateSecret(CHECKIN_KEY_NAME, generateSigningKey)),
    newPassword: deps.newPassword ?? (() => generateJoinPassword()),
    passwords: new Map(),
    limiter,
    createFailures: [],
    vmCreates: new Map(),
    autoscale: (pool, autoscale) => autoscales.get(autoscaleKey(pool, autoscale)),
    async putIntent(address, type, payload) {
      const intent: IntentRecord = { id: deps.newId(), address, type, payload, created_at: nowIso() };
      await store.putIntent(intent);
      return intent;
    },
    async putResource(record) {
      const existing = await store.getResource(record.address);
      const now = nowIso();
      await store.putResource({ ...record, created_at: existing?.created_at ?? now, updated_at: now });
    },
  };
}

/** A string attribute (read through plan/attribute-views.ts) a step cannot do without. */
export function required(value: string | null, key: string, address: string): string {
  if (value === null || value === '') throw new PoolformError('plan-invalid', `${address}: the plan has no ${key}`);
  return value;
}
