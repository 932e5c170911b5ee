// The embedded local providers (no cloud account needed): VMs as directories
// running their startup script, DNS as a hosts file, and a file-backed
// directory stand-in for tests.
export { createLocalVmProvider, spawnLocalVm, readVmRecord, LOCAL_VM_DIR, LOCAL_VM_ADDRESS } from './vm.ts';
export type { LocalVmProviderOptions, LocalVmSpawn, LocalVmBootRequest, LocalVmRecord } from './vm.ts';
export { createLocalDnsProvider, parseHostsFile, formatHostsLine, LOCAL_DNS_DIR, LOCAL_DNS_FILE } from './dns.ts';
export type { LocalDnsProviderOptions, HostsLine } from './dns.ts';
export { createLocalDirectoryProvider, LOCAL_DIRECTORY_DIR } from './directory.ts';
export type { LocalDirectoryProviderOptions, LocalComputerEntry } from './directory.ts';
