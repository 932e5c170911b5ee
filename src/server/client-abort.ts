// A request whose client went away (closed the connection, stopped sending a
// body, timed out on its side) fails while its body is read. That is the
// client's doing, not ours: logged at debug, never as an `http-error`.

const ABORT_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_ABORTED']);

export function isClientAbort(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ABORT_CODES.has(code)) return true;
  if (/^(aborted|terminated|premature close|request aborted|the operation was aborted)\.?$/i.test(err.message.trim())) return true;
  return err.cause !== undefined && err.cause !== err && isClientAbort(err.cause);
}
