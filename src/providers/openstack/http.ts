// The OpenStack client's HTTP transport: the shared node:http(s) transport
// with ca_cert / insecure_skip_verify (providers/shared/http-transport.ts).
export { createHttpTransport, TransportError } from '../shared/http-transport.ts';
export type { HttpAnswer, HttpTransport, HttpTransportOptions } from '../shared/http-transport.ts';
