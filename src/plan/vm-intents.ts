// Phase 2 of plan-vms: unfinished creates (intents) an interrupted apply left.
// Adopt what the provider made; wait while young and not listed yet; else
// discard (state cleanup). Record intents are resolved from the provider
// listings in plan-records.ts.
import { autoscaleKey } from '../config/model.ts';
import { intentPayloadView } from '../model/intent-payload.ts';
import type { JsonObject } from '../model/json.ts';
import type { IntentRecord } from '../model/resource.ts';
import { newVmAttributes, observedVmAttributes } from './attributes.ts';
import { byAddress, nameOf } from './addresses.ts';
import { formatAge, intentAgeMs, intentGraceFor, withinIntentGrace } from './intent-grace.ts';
import type { PlanContext, ServerPlan } from './plan-context.ts';
import type { ResourceChange } from './types.ts';
import { vmChange } from './vm-change.ts';
import { vmPresence } from './vm-presence.ts';

export function planVmIntents(ctx: PlanContext): ResourceChange[] {
  const { args, config, snapshot, observed, resources, autoscales, serverPlans, cleanup, report, unknownProvider } = ctx;
  const changes: ResourceChange[] = [];
  const discardIntent = (intent: IntentRecord, reason: string): void => {
    cleanup.push({ kind: 'intent', id: intent.id, address: intent.address, reason });
  };
  const unresolvedCreate = (intent: IntentRecord): void =>
    report('intent-unresolved', `unfinished create of ${intent.address} (intent ${intent.id}): run plan with refresh to resolve it`, {
      address: intent.address,
    });

  for (const intent of [...snapshot.intents].sort((a, b) => (a.address === b.address ? (a.id < b.id ? -1 : 1) : byAddress(a, b)))) {
    if (resources.has(intent.address)) {
      discardIntent(intent, 'the resource was recorded; only the intent was left');
      continue;
    }
    if (intent.type !== 'vm') {
      // Records are reconciled from what the DNS provider / directory lists (adopted or removed there).
      if (observed === null) unresolvedCreate(intent);
      else discardIntent(intent, 'unfinished record create: what it made is adopted or removed from the provider listing');
      continue;
    }
    const payload = intentPayloadView(intent.payload);
    const serverId = payload.server_id ?? nameOf(intent.address, 'vm');
    const provider = payload.provider ?? '';
    if (serverPlans.has(serverId)) {
      discardIntent(intent, 'superseded');
      continue;
    }
    const presence = vmPresence(observed, provider, serverId, intent.id);
    switch (presence.kind) {
      case 'unrefreshed':
        unresolvedCreate(intent);
        serverPlans.set(serverId, unresolved(intent, serverId, provider));
        break;
      case 'unknown':
        unknownProvider('vm', provider, null, `unfinished create of ${intent.address} waits`);
        serverPlans.set(serverId, unresolved(intent, serverId, provider));
        break;
      case 'gone': {
        const age = intentAgeMs(intent, args.now);
        const grace = intentGraceFor(config, provider, args.intentGraceMs);
        if (withinIntentGrace(intent, args.now, grace)) {
          // The provider may list a just-launched VM late: keep the intent (and count its server).
          ctx.waiting.push(
            `waiting for ${intent.address} to appear at VmProvider ${provider} (created ${formatAge(age)} ago by an interrupted apply, intent ${intent.id}): ` +
              `adopted once listed, discarded if still missing after ${formatAge(grace)}`,
          );
          serverPlans.set(serverId, unresolved(intent, serverId, provider));
          break;
        }
        discardIntent(intent, 'interrupted before the provider created anything');
        break;
      }
      case 'present': {
        const vm = presence.vm;
        const ref = autoscales.get(autoscaleKey(vm.pool, vm.autoscale));
        const requireCheckin = ref ? (ref.autoscale.require_checkin ?? true) : true;
        const base = ref
          ? newVmAttributes({
              config,
              pool: ref.pool,
              autoscale: ref.autoscale,
              serverId,
              hostname: vm.hostname,
              providerCapacity: args.providerCapacity?.[provider],
            })
          : {};
        const after: JsonObject = {
          ...observedVmAttributes(vm, base),
          intent_id: intent.id,
          status: requireCheckin ? 'starting' : 'running',
        };
        delete after['startup_script'];
        const change = vmChange({ address: intent.address, serverId, provider, pool: vm.pool }, 'update', {
          before: null,
          after,
          reason: `adopt: created by an interrupted apply (intent ${intent.id})`,
          intentId: intent.id,
        });
        changes.push(change);
        serverPlans.set(serverId, {
          serverId,
          pool: vm.pool,
          autoscale: vm.autoscale,
          hostname: vm.hostname,
          address: intent.address,
          provider,
          fate: 'adopt',
          change,
          attrs: after,
          known: true,
        });
        break;
      }
      default: {
        const never: never = presence;
        throw new Error(`unknown presence ${String(never)}`);
      }
    }
  }
  return changes;
}

/** A server whose unfinished create cannot be resolved in this plan: counted, nothing planned on it. */
function unresolved(intent: IntentRecord, serverId: string, provider: string): ServerPlan {
  const parts = intent.address.split('.');
  const payload = intentPayloadView(intent.payload);
  return {
    serverId,
    pool: payload.pool ?? parts[1] ?? '',
    autoscale: payload.autoscale ?? parts[2] ?? '',
    hostname: payload.hostname ?? serverId,
    address: intent.address,
    provider,
    fate: 'keep',
    change: null,
    attrs: null,
    known: false,
  };
}
