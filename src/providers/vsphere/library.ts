// Content-library sources (setting `content_library`): `template` then names
// an item of that library instead of a VM template in the inventory.
// - Lookup (Content > Library / Library Item "find"): `POST
//   /api/content/library?action=find {name}` → library ids, `POST
//   /api/content/library/item?action=find {library_id, name}` → item ids,
//   `GET /api/content/library/item/{id}` → its `type`.
// - `vm-template` items (vCenter > VM Template > Library Items "deploy"):
//   `POST /api/vcenter/vm-template/library-items/{item}?action=deploy {name,
//   placement{folder, resource_pool}, disk_storage{datastore}, powered_on:
//   false, hardware_customization{nics{<key>: {network}}, cpu_update,
//   memory_update}}` → the VM id. `GET …/library-items/{item}` gives the
//   template's CPU, memory and NIC keys.
// - `ovf` items (vCenter > OVF > Library Item "deploy"): `POST
//   /api/vcenter/ovf/library-item/{item}?action=deploy {target{resource_pool_id,
//   folder_id}, deployment_spec{name, accept_all_EULA, default_datastore_id}}`
//   → `{succeeded, resource_id{id}, error}`; CPU and memory are then set by
//   the provider with `PATCH /api/vcenter/vm/{vm}/hardware/cpu|memory`, as
//   after an inventory clone. `network` is not applied
//   to OVF items (their networks map by OVF network name): the provider refuses
//   the combination before deploying anything.
import { PoolformError } from '../../util/errors.ts';

export type Call = <T>(method: string, path: string, body?: unknown, options?: { idempotent?: boolean }) => Promise<T>;

export interface LibrarySource {
  kind: 'vm-template' | 'ovf';
  item: string;
  cpu?: number;
  memoryMiB?: number;
  /** First NIC key of a vm-template item. */
  nic?: string;
}

export async function resolveLibraryItem(call: Call, where: string, library: string, name: string): Promise<LibrarySource> {
  const libraries = await call<string[]>('POST', '/content/library?action=find', { name: library }, { idempotent: true });
  if (libraries.length !== 1 || !libraries[0]) {
    throw new PoolformError(
      'vsphere-not-found',
      `${where}: ${libraries.length === 0 ? 'no' : libraries.length} content libraries named ${JSON.stringify(library)}`,
      { field: 'content_library' },
    );
  }
  const items = await call<string[]>('POST', '/content/library/item?action=find', { library_id: libraries[0], name }, { idempotent: true });
  const itemId = items[0];
  if (items.length !== 1 || !itemId) {
    throw new PoolformError(
      'vsphere-not-found',
      `${where}: ${items.length === 0 ? 'no' : items.length} items named ${JSON.stringify(name)} in content library ${library}`,
      { field: 'template' },
    );
  }
  const item = await call<{ type?: string }>('GET', `/content/library/item/${encodeURIComponent(itemId)}`);
  if (item.type === 'vm-template') {
    const info = await call<{ cpu?: { count?: number }; memory?: { size_MiB?: number }; nics?: Record<string, unknown> }>(
      'GET',
      `/vcenter/vm-template/library-items/${encodeURIComponent(itemId)}`,
    );
    const nic = Object.keys(info.nics ?? {})[0];
    return {
      kind: 'vm-template',
      item: itemId,
      ...(info.cpu?.count !== undefined ? { cpu: info.cpu.count } : {}),
      ...(info.memory?.size_MiB !== undefined ? { memoryMiB: info.memory.size_MiB } : {}),
      ...(nic !== undefined ? { nic } : {}),
    };
  }
  if (item.type === 'ovf') return { kind: 'ovf', item: itemId };
  throw new PoolformError(
    'vsphere-invalid-request',
    `${where}: content library item ${name} is of type ${item.type ?? 'unknown'}; poolform deploys vm-template and ovf items`,
    { field: 'template' },
  );
}

export interface DeploySpec {
  name: string;
  folder: string;
  resourcePool: string;
  datastore?: string;
  network?: string;
  numCpus?: number;
  memoryMb?: number;
}

/** Deploys the item powered off; answers the new VM's id. */
export async function deployLibraryItem(call: Call, where: string, source: LibrarySource, spec: DeploySpec): Promise<string> {
  if (source.kind === 'vm-template') {
    const hardware = {
      ...(spec.numCpus !== undefined ? { cpu_update: { num_cpus: spec.numCpus } } : {}),
      ...(spec.memoryMb !== undefined ? { memory_update: { memory: spec.memoryMb } } : {}),
      ...(spec.network !== undefined && source.nic !== undefined ? { nics: { [source.nic]: { network: spec.network } } } : {}),
    };
    return await call<string>(
      'POST',
      `/vcenter/vm-template/library-items/${encodeURIComponent(source.item)}?action=deploy`,
      {
        name: spec.name,
        placement: { folder: spec.folder, resource_pool: spec.resourcePool },
        ...(spec.datastore !== undefined ? { disk_storage: { datastore: spec.datastore } } : {}),
        powered_on: false,
        ...(Object.keys(hardware).length > 0 ? { hardware_customization: hardware } : {}),
      },
      { idempotent: false },
    );
  }
  const result = await call<{ succeeded?: boolean; resource_id?: { id?: string }; error?: { errors?: { message?: { default_message?: string } }[] } }>(
    'POST',
    `/vcenter/ovf/library-item/${encodeURIComponent(source.item)}?action=deploy`,
    {
      target: { resource_pool_id: spec.resourcePool, folder_id: spec.folder },
      deployment_spec: { name: spec.name, accept_all_EULA: true, ...(spec.datastore !== undefined ? { default_datastore_id: spec.datastore } : {}) },
    },
    { idempotent: false },
  );
  const id = result.resource_id?.id;
  if (result.succeeded !== true || !id) {
    const why =
      (result.error?.errors ?? [])
        .map((e) => e.message?.default_message ?? '')
        .filter(Boolean)
        .join('; ') || 'no reason given';
    throw new PoolformError('vsphere-error', `${where}: OVF deploy of the content library item failed: ${why}; poolform will try again`, { retryable: true });
  }
  return id;
}
