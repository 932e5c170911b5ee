// A self-signed certificate for the fake Azure endpoints. The Azure SDK's
// bearer-token policy refuses non-HTTPS URLs ("Bearer token authentication is
// not permitted for non-TLS protected (non-https) URLs", core-rest-pipeline),
// so the fake serves HTTPS on 127.0.0.1 with a certificate made here by
// `openssl req -x509` (installed on every machine that runs the suite). The
// clients trust it through an https.Agent with `ca` set, handed to the SDK
// pipeline per request (see azureTestTransport in ./server.ts), never through
// NODE_TLS_REJECT_UNAUTHORIZED or NODE_EXTRA_CA_CERTS (the latter is only read
// at process start).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  cert: string;
  key: string;
}

let cached: TestCertificate | undefined;

/** One certificate per test process (CN and SAN 127.0.0.1 / localhost), valid for a day. */
export function testCertificate(): TestCertificate {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'poolform-azure-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    cached = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
