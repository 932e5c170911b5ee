// The request-body size limit of /api/*, without materialising a web Request
// per request. Hono's bodyLimit reads `c.req.raw.body`, and on
// @hono/node-server that alone turns the lightweight request into a full
// undici Request with a web stream over the socket (tens of microseconds per
// request, and the body is then read through that stream). Here the common
// cases are decided from the headers Node already parsed:
// - HTTP/1.x with Content-Length and no Transfer-Encoding: the length decides;
// - HTTP/1.x with neither: there is no body (RFC 9112 §6.3);
// - anything else (chunked bodies, HTTP/2, requests built in-process
//   without a Content-Length): Hono's bodyLimit, which counts the bytes read.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export interface BodyLimitOptions {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}

/** What @hono/node-server passes as the environment: the Node request. */
interface NodeIncoming {
  httpVersionMajor?: unknown;
  headers?: Record<string, string | string[] | undefined>;
}

function incomingOf(c: Context): NodeIncoming | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  const incoming = (env as { incoming?: unknown }).incoming;
  return typeof incoming === 'object' && incoming !== null ? (incoming as NodeIncoming) : undefined;
}

export function apiBodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const counted = bodyLimit(options);
  return async (c, next) => {
    const incoming = incomingOf(c);
    const headers = incoming?.headers;
    if (incoming?.httpVersionMajor === 1 && headers && headers['transfer-encoding'] === undefined) {
      const length = headers['content-length'];
      if (length === undefined) return next();
      if (typeof length === 'string') return Number.parseInt(length, 10) > options.maxSize ? options.onError(c) : next();
    }
    return counted(c, next);
  };
}
