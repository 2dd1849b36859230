import stringWidth from 'string-width';

/**
 * Terminal cell widths: a CJK character or an emoji takes two cells, a combining mark none. `string-width` is the
 * library Ink itself measures with (the same major), so what the view pads and cuts lines up with what Ink lays out.
 * Rows are mostly ASCII (task names, uuids, numbers): those take the fast path, one cell per character.
 */

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Whether every character takes one cell (printable ASCII): the fast path. */
export function isPrintableAscii(text: string): boolean {
  return PRINTABLE_ASCII.test(text);
}

/** How many terminal cells `text` takes. */
export function textWidth(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : (narrowLineWidth(text) ?? stringWidth(text));
}

/** The longest start of `text` that fits in `width` cells, never cutting a character (or an emoji sequence) in two. */
export function headToWidth(text: string, width: number): string {
  if (PRINTABLE_ASCII.test(text)) return text.slice(0, Math.max(0, width));
  let used = 0;
  let end = 0;
  for (const { segment, index } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width) return text.slice(0, index);
    used += w;
    end = index + segment.length;
  }
  return text.slice(0, end);
}

/** The longest end of `text` that fits in `width` cells, never cutting a character in two. */
export function tailToWidth(text: string, width: number): string {
  if (PRINTABLE_ASCII.test(text)) return width <= 0 ? '' : text.slice(Math.max(0, text.length - width));
  const parts = [...graphemes.segment(text)];
  let used = 0;
  let start = text.length;
  for (let i = parts.length - 1; i >= 0; i--) {
    const w = stringWidth(parts[i]!.segment);
    if (used + w > width) break;
    used += w;
    start = parts[i]!.index;
  }
  return text.slice(start);
}

/** `text` padded with spaces to `width` cells (on the left when `alignRight`); text wider than that is returned as is. */
export function padToWidth(text: string, width: number, alignRight = false): string {
  const pad = ' '.repeat(Math.max(0, width - textWidth(text)));
  return alignRight ? pad + text : text + pad;
}

/** Single characters outside printable ASCII that take exactly one cell, by string-width, as found. */
const narrowChars = new Map<string, boolean>();
/** Distinct characters remembered at most; past it the map starts again (a screen uses a few dozen). */
const NARROW_CHARS_MAX = 4096;
// Control Sequence Introducer sequences ending in `m` (colours and styles, what chalk writes) and nothing else.
const SGR = /\u001b\[[0-9;]*m/g;

function isNarrowChar(ch: string): boolean {
  let narrow = narrowChars.get(ch);
  if (narrow === undefined) {
    // A lone surrogate half, a combining mark or a wide character is not one cell on its own.
    narrow = ch.length === 1 && stringWidth(ch) === 1 && !/\p{M}|\p{Cf}|\p{Cc}|\p{Cs}/u.test(ch);
    if (narrowChars.size >= NARROW_CHARS_MAX) narrowChars.clear();
    narrowChars.set(ch, narrow);
  }
  return narrow;
}

/**
 * The cells a line takes when every character in it takes exactly one (printable ASCII, `…`, `›`, `·`, box and
 * block characters), with colour and style codes (SGR) taking none; undefined for anything else (a wide or
 * zero-width character, another escape sequence, a newline), which string-width must measure. For such a line it
 * is what string-width says, without its grapheme-by-grapheme path: that path costs ~200 µs for a 160-column row
 * holding a single `…`, ~400 times the ASCII one.
 */
export function narrowLineWidth(line: string): number | undefined {
  const text = line.includes('\u001b') ? line.replace(SGR, '') : line;
  if (PRINTABLE_ASCII.test(text)) return text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e) continue;
    if (code < 0xa0 || !isNarrowChar(text[i]!)) return undefined;
  }
  return text.length;
}

/** The printable ASCII character that stands in for a one-cell character in text Ink measures (rows/row-text.tsx). */
export const STAND_IN = '~';
const NO_STAND_IN_NEEDED = /^[\x20-\x7d]*$/;

/**
 * `text` with every one-cell character outside printable ASCII, and every `~` itself, replaced by `~`, the originals
 * pushed on `glyphs` in order; restoreStandIns puts them back. The text keeps its width cell for cell, and Ink's
 * string-width takes its ASCII path on it. Wide, zero-width and control characters stay as they are.
 */
export function withStandIns(text: string, glyphs: string[]): string {
  if (NO_STAND_IN_NEEDED.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch === STAND_IN || (code >= 0xa0 && isNarrowChar(ch))) {
      glyphs.push(ch);
      out += STAND_IN;
    } else out += ch;
  }
  return out;
}

/** `line` (what withStandIns made, styled, possibly cut at its end) with the stand-ins replaced by `glyphs` in order. */
export function restoreStandIns(line: string, glyphs: readonly string[]): string {
  let k = 0;
  return line.replace(/~/g, () => glyphs[k++] ?? STAND_IN);
}
