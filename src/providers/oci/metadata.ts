// Startup-script delivery: instance metadata key `user_data`, base64 (run by
// cloud-init; on Windows by cloudbase-init when the first line is
// `#ps1_sysnative`). OCI's limit (Compute docs, "Updating Instance Metadata";
// LaunchInstanceDetails.metadata): metadata and extendedMetadata together at
// most 32,000 bytes. The script is base64-encoded (4 bytes per 3), so a
// script alone may be at most 24,000 bytes; ssh_authorized_keys shares the
// budget. Validate checks the worst-case rendering against 24,000 bytes
// (config/rules/startup-script.ts); this is the exact check before any API call.
import { OCI_METADATA_LIMIT } from '../../template/worst-case.ts';
import { PoolformError } from '../../util/errors.ts';

/** The metadata map poolform sends (user_data base64, ssh keys when configured). */
export function instanceMetadata(script: string, sshAuthorizedKeys: string | undefined): Record<string, string> {
  return {
    user_data: Buffer.from(script, 'utf8').toString('base64'),
    ...(sshAuthorizedKeys !== undefined ? { ssh_authorized_keys: sshAuthorizedKeys } : {}),
  };
}

/** Bytes OCI counts for a metadata map (its JSON form: keys, values, quotes). */
export function metadataBytes(metadata: Readonly<Record<string, string>>): number {
  return Buffer.byteLength(JSON.stringify(metadata), 'utf8');
}

/** Throws `user-data-too-large` (nothing created) when the metadata does not fit OCI's 32,000 bytes. */
export function assertMetadataFits(providerName: string, metadata: Readonly<Record<string, string>>): void {
  const bytes = metadataBytes(metadata);
  if (bytes > OCI_METADATA_LIMIT) {
    throw new PoolformError(
      'user-data-too-large',
      `VmProvider ${providerName}: the rendered startup script makes the instance metadata ${bytes} bytes (user_data is base64); OCI limits metadata to ${OCI_METADATA_LIMIT} bytes: shorten startup_script`,
      { nothingCreated: true, field: 'startup_script', details: { bytes, limit: OCI_METADATA_LIMIT } },
    );
  }
}
