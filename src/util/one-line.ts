const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const CONTROL_OR_BACKSLASH = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `\n`, `\x1b`, `\u2028`: a control character (C0, DEL, C1) or a Unicode line separator as a visible escape. */
function escape(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text as one printable line: control characters and line separators become visible escapes. For error lines that
 * quote what a user typed, so a stray newline cannot split the line and an escape sequence cannot reach the terminal.
 */
export function oneLine(text: string): string {
  return text.replace(CONTROL, escape);
}

/**
 * Client-provided text (user names, connection names, vhost names, mechanisms) as it goes into a log line: as
 * `oneLine`, and backslashes doubled too, so a name cannot end the line early, forge a second one (not even by
 * spelling out `\n` itself), or drive the terminal the log is read on.
 */
export function logText(text: string): string {
  return text.replace(CONTROL_OR_BACKSLASH, escape);
}
