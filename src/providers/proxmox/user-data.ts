// Startup-script delivery on Proxmox VE (providers.md §2 / §3.10): the API
// cannot upload a cloud-init snippet (`cicustom` needs a file already on a
// snippet storage), so the rendered script reaches the VM through the QEMU
// guest agent, as upstream does (its token needs VM.GuestAgent privileges):
// POST …/agent/file-write {file, content} then POST …/agent/exec {command}.
// The PVE API schema limits file-write `content` to 60 KiB (qemu-server
// PVE/API2/Qemu/Agent.pm: `maxLength => 60*1024`, "smaller than our 64k POST
// limit"; PVE base64-encodes it for the agent itself). Checked at validate
// time with worst-case values (config/rules/startup-script.ts) and again
// before any API call on the script actually rendered, together with the
// size of the whole JSON request body (pveproxy refuses bodies above 64 KiB;
// a script of many quotes or control characters grows when escaped).
import { PoolformError } from '../../util/errors.ts';
import { assertScriptFits } from '../shared/script-size.ts';

export const USER_DATA_MAX_BYTES = 61_440;
/** pveproxy's limit on a request body. */
export const REQUEST_BODY_MAX_BYTES = 64 * 1024;

export function assertUserDataFits(providerName: string, script: string, path = '/var/lib/poolform-startup.sh'): void {
  const where = `VmProvider ${providerName}`;
  assertScriptFits(where, script, {
    bytes: USER_DATA_MAX_BYTES,
    what: 'the Proxmox VE guest-agent file-write content',
    note: '(60 KiB)',
  });
  const body = Buffer.byteLength(JSON.stringify({ file: path, content: script }), 'utf8');
  if (body > REQUEST_BODY_MAX_BYTES) {
    throw new PoolformError(
      'user-data-too-large',
      `${where}: the rendered startup script makes a ${body}-byte file-write request once JSON-escaped; pveproxy accepts at most ${REQUEST_BODY_MAX_BYTES} bytes (fewer quotes, backslashes or control characters, or a shorter script)`,
      { details: { bytes: body, limit: REQUEST_BODY_MAX_BYTES, nothing_created: true } },
    );
  }
}

export interface GuestScript {
  /** Where the script is written in the guest. */
  path: string;
  /** The command the guest agent runs (argv). */
  command: string[];
}

/** Where the script goes and how it runs, by guest OS (overridable by script_path). */
export function guestScript(guestOs: 'linux' | 'windows', path?: string): GuestScript {
  if (guestOs === 'windows') {
    const p = path ?? 'C:\\Windows\\Temp\\poolform-startup.ps1';
    return { path: p, command: ['powershell.exe', '-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', p] };
  }
  const p = path ?? '/var/lib/poolform-startup.sh';
  return { path: p, command: ['/bin/sh', p] };
}
