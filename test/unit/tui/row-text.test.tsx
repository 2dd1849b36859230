import { Box, Text } from 'ink';
import { render } from 'ink-testing-library';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { RowText } from '../../../src/tui/components/row-text.js';
import { narrowLineWidth, restoreStandIns, withStandIns } from '../../../src/tui/text-width.js';

/** The frame of `row` drawn in a box `width` cells wide. */
function frame(row: ReactNode, width: number): string {
  const view = render(<Box width={width}>{row}</Box>);
  const out = view.lastFrame() ?? '';
  view.unmount();
  return out;
}

describe('RowText', () => {
  const rows: [string, (T: typeof Text | typeof RowText) => ReactNode][] = [
    [
      'one-cell glyphs in nested colours',
      (T) => (
        <T wrap="truncate-end">
          › <Text color="green">STARTED</Text> tasks.add 1.20s… ~home · ▁▄█
        </T>
      ),
    ],
    [
      'a selected (inverse) row',
      (T) => (
        <T inverse>
          {'› '}
          <Text bold>w1@h</Text>
          {' online  0s · ok'}
        </T>
      ),
    ],
    [
      'keyed children from a map',
      (T) => (
        <T>
          {['a', 'b'].map((k) => (
            <Text key={k} color="cyan">{`${k}… `}</Text>
          ))}
        </T>
      ),
    ],
    ['wide and combining characters left alone', (T) => <T>{'漢字 e\u0301 … ~'}</T>],
    ['a row cut at its end by Ink', (T) => <T wrap="truncate-end">{'…'.repeat(30)}</T>],
    ['plain ASCII', (T) => <T color="red">nothing to stand in for</T>],
  ];
  for (const [what, row] of rows) {
    it(`draws ${what} as <Text> does`, () => {
      for (const width of [80, 20]) expect(frame(row(RowText), width)).toBe(frame(row(Text), width));
    });
  }

  it('the text Ink measures is ASCII, one stand-in a glyph, and the glyphs come back in order', () => {
    const glyphs: string[] = [];
    const safe = withStandIns('› a~b … ·漢', glyphs);
    expect(safe).toBe('~ a~b ~ ~漢');
    expect(glyphs).toEqual(['›', '~', '…', '·']);
    expect(restoreStandIns(`\u001b[7m${safe}\u001b[27m`, glyphs)).toBe('\u001b[7m› a~b … ·漢\u001b[27m');
  });
});

describe('narrowLineWidth', () => {
  it('counts one cell a character for ASCII and one-cell glyphs, colour codes none', () => {
    expect(narrowLineWidth('abc')).toBe(3);
    expect(narrowLineWidth('\u001b[32m1.20s…\u001b[39m ›·▁')).toBe(10);
  });
  it('leaves wide, zero-width, control characters and other escapes to string-width', () => {
    for (const text of ['漢字', 'e\u0301', 'a\tb', 'a\nb', '\u001b]8;;x\u0007link', '👍', '\u200d']) expect(narrowLineWidth(text)).toBeUndefined();
  });
});
