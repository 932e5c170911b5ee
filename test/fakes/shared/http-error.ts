// The error a fake's request handler throws to answer with an HTTP error: the
// status, the cloud's error code and extra response headers (e.g.
// Retry-After). Each fake renders it in its cloud's error body shape.
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}
