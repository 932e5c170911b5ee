// The slices of Kubernetes / KubeVirt objects the provider reads and writes
// (kubevirt.io/v1 VirtualMachine and VirtualMachineInstance, core/v1 Secret).
// Only the fields used; the API returns more.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeList<T> {
  metadata?: { continue?: string; resourceVersion?: string };
  items?: T[];
}

export interface VirtualMachine {
  apiVersion: 'kubevirt.io/v1';
  kind: 'VirtualMachine';
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
  status?: { printableStatus?: string; ready?: boolean; created?: boolean };
}

export interface VirtualMachineInstance {
  metadata: ObjectMeta;
  status?: {
    phase?: string;
    interfaces?: { name?: string; ipAddress?: string; ipAddresses?: string[] }[];
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

export interface Secret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
