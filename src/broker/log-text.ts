/**
 * Client-provided text (user names, connection names, vhost names, mechanisms) as it goes into a log line: control
 * characters, including line and paragraph separators, are escaped (`\n`, `\x1b`, `\u2028`), and backslashes
 * doubled, so a name cannot end the line early, forge a second one, or drive the terminal the log is read on.
 */
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function logText(text: string): string {
  return text.replace(
    UNSAFE,
    (c) =>
      NAMED[c] ??
      (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}
