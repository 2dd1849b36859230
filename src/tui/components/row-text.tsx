import { Text, type TextProps } from 'ink';
import { cloneElement, createElement, isValidElement, type ReactNode } from 'react';
import { restoreStandIns, withStandIns } from '../text-width.js';

/**
 * One row of the screen, as Ink's `<Text>` with the same props and nested `<Text>` children, drawn the same, but
 * cheaper for Ink to measure. Ink measures every text node's full text with string-width on every frame
 * (render-node-to-output.js, uncached), and string-width walks grapheme by grapheme as soon as one character is
 * outside printable ASCII: ~200 µs for a 160-column row holding a single `…`, `›` or `·`, against 0.5 µs. So the
 * one-cell characters are replaced by `~` in the text Ink measures and lays out (the same width, cell for cell) and
 * put back by the row's transform when Ink writes it (text-width.ts: withStandIns, restoreStandIns), as Ink's own
 * `<Transform>` does, on the `ink-text` element Transform and Text both render (test/unit/tui/row-text.test.tsx
 * fails if an Ink upgrade changes that). A row holding anything but strings and `<Text>` elements, or a newline, is
 * drawn as a plain `<Text>`; so is a row with nothing to stand in for.
 */
export function RowText({ children, wrap = 'wrap', ...props }: TextProps) {
  const glyphs: string[] = [];
  const safe = standIns(children, glyphs);
  if (safe === UNSAFE || glyphs.length === 0) return createElement(Text, { ...props, wrap }, children);
  // What Ink's <Transform> renders, with <Text>'s wrap: Ink cuts or wraps this outer node, so it must carry it. The
  // styles go on the inner <Text>, which Ink applies while it joins the row's text (before the stand-ins go back).
  return createElement(
    'ink-text',
    {
      style: { flexGrow: 0, flexShrink: 1, flexDirection: 'row', textWrap: wrap },
      internal_transform: (line: string) => restoreStandIns(line, glyphs),
    },
    createElement(Text, props, ...(Array.isArray(safe) ? (safe as ReactNode[]) : [safe])),
  );
}

const UNSAFE = Symbol('unsafe');

function standIns(node: ReactNode, glyphs: string[]): ReactNode | typeof UNSAFE {
  if (typeof node === 'string') return node.includes('\n') ? UNSAFE : withStandIns(node, glyphs);
  if (node === null || node === undefined || typeof node === 'boolean' || typeof node === 'number') return node;
  if (Array.isArray(node)) {
    const out: ReactNode[] = [];
    for (const child of node as ReactNode[]) {
      const s = standIns(child, glyphs);
      if (s === UNSAFE) return UNSAFE;
      out.push(s);
    }
    return out;
  }
  if (isValidElement<{ children?: ReactNode }>(node) && node.type === Text) {
    const s = standIns(node.props.children, glyphs);
    return s === UNSAFE ? UNSAFE : cloneElement(node, undefined, ...(Array.isArray(s) ? (s as ReactNode[]) : [s]));
  }
  return UNSAFE;
}
