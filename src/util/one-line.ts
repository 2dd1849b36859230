const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text as one printable line: control characters (C0, DEL, C1) and Unicode line separators become visible escapes
 * (`\n`, `\x1b`, `\u2028`). For error lines that quote what a user typed, so a stray newline cannot split the line
 * and an escape sequence cannot reach the terminal.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const escaped = ESCAPES[c];
    if (escaped) return escaped;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}
