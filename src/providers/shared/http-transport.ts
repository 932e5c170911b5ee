// The HTTP transport of the fetch-less on-premises clients (OpenStack,
// Proxmox VE): one request over node:http / node:https. Not the global fetch:
// Node's fetch (undici) takes a private CA only through an undici Agent (a
// dependency poolform does not otherwise need) or NODE_EXTRA_CA_CERTS (read
// once at process start), while on-premises APIs usually sit behind a private
// CA. node:https takes `ca` and `rejectUnauthorized` per request (the
// `ca_cert` / `insecure_skip_verify` settings: tls-options.ts). Bodies are
// small documents; answers are read whole and capped (`maxBodyBytes`) so a
// misbehaving endpoint cannot exhaust memory. A TLS failure is a
// TransportError with `tls: true`, so providers can say "certificate not
// trusted" instead of "unreachable".
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  /** The HTTP reason phrase (Proxmox VE puts its error message there). */
  statusText?: string;
  headers: Record<string, string | undefined>;
  text: string;
}

export interface HttpTransportOptions {
  /** PEM CA bundle trusted for https:// endpoints (in addition to nothing else: Node's bundled CAs are replaced, as with `ca` in node:tls). */
  ca?: string;
  /** Skip certificate verification (loudly warned about by the caller). */
  insecureSkipVerify?: boolean;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  maxBodyBytes?: number;
}

export type HttpTransport = (method: string, url: string, headers: Record<string, string>, body?: string) => Promise<HttpAnswer>;

/** A network-level failure (refused, reset, TLS, timeout): the request may or may not have been processed. */
export class TransportError extends Error {
  readonly tls: boolean;
  constructor(message: string, options: { cause: unknown; tls: boolean }) {
    super(message, { cause: options.cause });
    this.name = 'TransportError';
    this.tls = options.tls;
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|SSL|HOSTNAME/i;

export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const agent = new HttpsAgent({
    keepAlive: true,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    rejectUnauthorized: options.insecureSkipVerify !== true,
  });
  return (method, url, headers, body) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        target,
        {
          method,
          headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
          ...(target.protocol === 'https:' ? { agent } : {}),
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let tooBig = false;
          res.on('data', (chunk: Buffer) => {
            if (tooBig) return;
            size += chunk.length;
            if (size > maxBodyBytes) {
              tooBig = true;
              res.destroy();
              reject(new TransportError(`${method} ${target.host}: answer larger than ${maxBodyBytes} bytes`, { cause: undefined, tls: false }));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (tooBig) return;
            const out: Record<string, string | undefined> = {};
            for (const [k, v] of Object.entries(res.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
            resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: out, text: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (error) => reject(new TransportError(`${method} ${target.host}: ${error.message}`, { cause: error, tls: false })));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
      req.on('error', (error: Error & { code?: string }) => {
        const tls = TLS_CODES.test(error.code ?? '') || TLS_CODES.test(error.message);
        reject(new TransportError(`${method} ${target.protocol}//${target.host}: ${error.message}`, { cause: error, tls }));
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
}
