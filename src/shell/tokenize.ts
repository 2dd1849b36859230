import { ShellInputError } from './shell-input-error.js';

/**
 * Split a shell line into words with POSIX shell rules, as Python's `shlex.split` does for Celery's camqadm:
 *
 * - whitespace separates words; `'single quotes'` keep everything literally; `"double quotes"` keep everything
 *   except `\"` and `\\`, which lose their backslash (`"\$x"` stays `\$x`, as in shlex, unlike sh);
 * - outside quotes a backslash keeps the next character literally (`my\ queue` is one word);
 * - quoted and unquoted parts next to each other make one word (`a"b c"d` is `ab cd`); `''` is an empty word;
 * - `#` is an ordinary character inside a line (`queue.bind q topic_ex #` binds with the key `#`); only a line whose
 *   first non-blank character is `#` is a comment (see `isCommentOrBlank`).
 */

/** One word of a line: its text after quote removal, and where it sits in the raw line. */
export interface Token {
  readonly text: string;
  /** Offset of the word's first raw character (a quote, if it starts with one). */
  readonly start: number;
  /** Offset just after its last raw character. */
  readonly end: number;
  /** The quote the raw word starts with, if any. */
  readonly openingQuote: "'" | '"' | undefined;
}

export interface ScannedLine {
  readonly tokens: readonly Token[];
  /** Set when the line ends inside quotes (the open quote) or right after an escaping backslash (`\`). */
  readonly unterminated: "'" | '"' | '\\' | undefined;
  /** True when the line ends inside a word, so the last token is still being typed. */
  readonly endsInWord: boolean;
}

type State = 'space' | 'word' | 'single' | 'double' | 'escape' | 'double-escape';

/** shlex's whitespace: space, tab, CR, LF (a no-break space is part of a word). */
const WHITESPACE = /[ \t\r\n]/;
const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', '\\']);

/** Scan without failing on an unfinished line; the completer uses this on what the user has typed so far. */
export function scanLine(line: string): ScannedLine {
  const tokens: Token[] = [];
  let state: State = 'space';
  let text = '';
  let start = 0;
  let openingQuote: Token['openingQuote'];

  const begin = (i: number, quote: Token['openingQuote']) => {
    text = '';
    start = i;
    openingQuote = quote;
  };
  const finish = (end: number) => {
    tokens.push({ text, start, end, openingQuote });
  };

  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    switch (state) {
      case 'space':
        if (WHITESPACE.test(ch)) break;
        begin(i, ch === "'" || ch === '"' ? ch : undefined);
        if (ch === "'") state = 'single';
        else if (ch === '"') state = 'double';
        else if (ch === '\\') state = 'escape';
        else {
          text = ch;
          state = 'word';
        }
        break;
      case 'word':
        if (WHITESPACE.test(ch)) {
          finish(i);
          state = 'space';
        } else if (ch === "'") state = 'single';
        else if (ch === '"') state = 'double';
        else if (ch === '\\') state = 'escape';
        else text += ch;
        break;
      case 'single':
        if (ch === "'") state = 'word';
        else text += ch;
        break;
      case 'double':
        if (ch === '"') state = 'word';
        else if (ch === '\\') state = 'double-escape';
        else text += ch;
        break;
      case 'escape':
        text += ch;
        state = 'word';
        break;
      case 'double-escape':
        text += DOUBLE_QUOTE_ESCAPABLE.has(ch) ? ch : '\\' + ch;
        state = 'double';
        break;
    }
  }

  const unterminated = state === 'single' ? "'" : state === 'double' || state === 'double-escape' ? '"' : state === 'escape' ? '\\' : undefined;
  const endsInWord = state !== 'space';
  if (endsInWord) finish(line.length);
  return { tokens, unterminated, endsInWord };
}

/** The words of a complete line. Throws a ShellInputError for an unclosed quote or a trailing backslash. */
export function splitLine(line: string): string[] {
  const scanned = scanLine(line);
  if (scanned.unterminated === '\\') {
    throw new ShellInputError('shell.syntax', 'the line ends with a lone backslash; escape it as \\\\ or quote it');
  }
  if (scanned.unterminated) {
    const name = scanned.unterminated === '"' ? 'double' : 'single';
    throw new ShellInputError('shell.syntax', `no closing ${name} quote (${scanned.unterminated}); close it or escape it with a backslash`);
  }
  return scanned.tokens.map((t) => t.text);
}

/** Blank lines and `#` comment lines are skipped without running anything or counting. */
export function isCommentOrBlank(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./#^~-]+$/;

/** A word written so that `splitLine` reads it back unchanged: bare when safe, else in single quotes. */
export function quoteWord(text: string): string {
  if (SAFE_WORD.test(text) && !text.startsWith('#')) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A word written inside the quote the user opened (for completion), closing it again. */
export function quoteWordAs(text: string, quote: "'" | '"'): string {
  if (quote === "'") return `'${text.replace(/'/g, `'\\''`)}'`;
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}
