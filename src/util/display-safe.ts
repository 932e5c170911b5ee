/** C0 and C1 control characters (NUL, ESC, CR, LF, BEL, CSI...). */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Text that reaches people (logs read in terminals, `poolform state show`,
 * /api/v1/status) from a party we do not trust, e.g. a server's check-in
 * message: control characters become spaces, so escape sequences cannot
 * repaint an admin's terminal and newlines cannot forge output lines.
 */
export function displaySafe(text: string): string {
  return text.replace(new RegExp(CONTROL_CHARACTER.source, 'g'), ' ');
}
