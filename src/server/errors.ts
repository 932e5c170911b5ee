// Every API error is JSON `{ error, message }`. 4xx for client mistakes, 5xx
// only for our own faults; messages never carry secrets or internals.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly error: string;
  readonly headers: Record<string, string>;
  constructor(status: ContentfulStatusCode, error: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

export function errorResponse(c: Context, status: ContentfulStatusCode, error: string, message: string, headers: Record<string, string> = {}): Response {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json({ error, message }, status);
}
