// A private certificate authority for HTTPS fakes of on-premises clouds
// (OpenStack, and any provider with a `ca_cert` setting): `openssl` makes a
// CA certificate and a server certificate for 127.0.0.1 / localhost signed by
// it, so a test can prove that trusting the CA (and only the CA) is enough,
// and that a client without it refuses the server. One per test process.
// (test/fakes/azure/tls.ts makes a single self-signed certificate instead:
// the Azure SDK only needs *a* trusted certificate.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  /** PEM of the CA certificate (what `ca_cert` holds). */
  caCert: string;
  /** The server's certificate (signed by the CA) and key. */
  cert: string;
  key: string;
}

let cached: TestCa | undefined;

export function testCa(): TestCa {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'poolform-test-ca-'));
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  try {
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=poolform test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    run([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'ext.cnf',
    ]);
    cached = {
      caCert: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
      key: readFileSync(join(dir, 'server.key'), 'utf8'),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
