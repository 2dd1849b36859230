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
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text);
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
