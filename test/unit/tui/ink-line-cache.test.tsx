import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import {
  inkOutputClass,
  shareInkLineCacheAcrossFrames,
  sharedInkCaches,
  STYLED_LINES_BUDGET_BYTES,
  unwrappedInkGet,
  WIDTHS_BUDGET_BYTES,
} from '../../../src/tui/ink-line-cache.js';

describe('shareInkLineCacheAcrossFrames', () => {
  it("finds Ink's output stage in the shape it expects (a new Ink version must be checked before it is taken)", async () => {
    expect(await shareInkLineCacheAcrossFrames()).toBe(true);
    expect(await shareInkLineCacheAcrossFrames()).toBe(true);
  });

  it("Ink's Output objects still carry the per-frame cache it shares, and frames after the first reuse it", async () => {
    await shareInkLineCacheAcrossFrames();
    type Output = {
      caches: { styledChars: unknown; widths: unknown; blockWidths: unknown };
      write(x: number, y: number, text: string, options: { transformers: [] }): void;
      get(): unknown;
    };
    const OutputClass = (await inkOutputClass()) as unknown as new (options: { width: number; height: number }) => Output;
    const first = new OutputClass({ width: 10, height: 1 });
    expect(first.caches.styledChars).toBeInstanceOf(Map);
    first.write(0, 0, 'abc', { transformers: [] });
    first.get();
    const second = new OutputClass({ width: 10, height: 1 });
    second.get();
    expect(second.caches.styledChars).toBe(first.caches.styledChars);
    expect(second.caches.widths).toBe(first.caches.widths);
    expect(second.caches.blockWidths).toBe(first.caches.blockWidths);
    expect(second.caches.styledChars).toBe(sharedInkCaches().styledChars);
  });

  it('holds styled lines by bytes, not by count: a stream of one-off lines never takes it past its budget', async () => {
    await shareInkLineCacheAcrossFrames();
    const caches = sharedInkCaches();
    const view = render(<Text color="green">{'x'.repeat(80)}</Text>);
    for (let i = 0; i < 3000; i++) view.rerender(<Text color="green">{`${i} ${'y'.repeat(80)}`}</Text>);
    expect(view.lastFrame()).toBe(`2999 ${'y'.repeat(80)}`);
    expect(caches.styledChars.bytes).toBeLessThanOrEqual(STYLED_LINES_BUDGET_BYTES);
    expect(caches.styledChars.size).toBeLessThan(3000);
    expect(caches.widths.bytes).toBeLessThanOrEqual(WIDTHS_BUDGET_BYTES / 2);
    view.unmount();
    // 3,000 frames: 4 to 5 s on a quiet machine, more on a shared one.
  }, 30_000);

  it('frames stay exact when lines change, come back, and hold wide characters', async () => {
    await shareInkLineCacheAcrossFrames();
    const view = render(<Text color="green">w1@vm online 0s</Text>);
    expect(view.lastFrame()).toBe('w1@vm online 0s');
    view.rerender(<Text color="green">w1@vm online 1s</Text>);
    expect(view.lastFrame()).toBe('w1@vm online 1s');
    view.rerender(<Text color="green">w1@vm online 0s</Text>);
    expect(view.lastFrame()).toBe('w1@vm online 0s');
    view.rerender(<Text>{'args (漢字, 2) ok'}</Text>);
    expect(view.lastFrame()).toBe('args (漢字, 2) ok');
    view.unmount();
  });
});

describe('frames built row by row', () => {
  it("match Ink's own get(): overlapping writes, wide and one-cell characters, colours, several lines, rows off the frame", async () => {
    await shareInkLineCacheAcrossFrames();
    type Op = { type: 'write'; x: number; y: number; text: string; transformers: ((line: string, i: number) => string)[] };
    type Output = { operations: Op[]; get(): { output: string; height: number } };
    const OutputClass = (await inkOutputClass()) as unknown as new (options: { width: number; height: number }) => Output;
    const original = unwrappedInkGet()!;
    // One-cell characters outside ASCII (`…` `›` `·`, blocks) take the row fast path (one write, no grid); the rest go to Ink.
    const texts = [
      'abc',
      '\u001b[32mgreen\u001b[39m',
      '漢字 wide',
      'line one\nline two',
      '',
      ' x ',
      'tail\n\u001b[1mbold\u001b[22m\nend',
      '› 1.2s…  ',
      '\u001b[7m› sel · ▁▄█\u001b[27m',
      '\u001b[2m\u001b[1mnest\u001b[22m\u001b[22m  ',
      'e\u0301 mark',
    ];
    const upper = (line: string) => line.toUpperCase();
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let frame = 0; frame < 300; frame++) {
      const make = () => {
        const o = new OutputClass({ width: 12, height: 4 });
        return o;
      };
      const ops: Op[] = [];
      for (let i = 0, n = 1 + random(5); i < n; i++) {
        ops.push({
          type: 'write',
          x: random(10),
          y: random(6) - 1,
          text: texts[random(texts.length)]!,
          transformers: random(3) === 0 ? [upper] : [],
        });
      }
      const a = make();
      const b = make();
      a.operations.push(...ops);
      b.operations.push(...ops);
      // The same characters in the same styles; the fast path may group the style codes differently (`ESC[22m`
      // twice where Ink closes two styles with one), so both are read back through Ink's own tokenizing get().
      const normalize = (frame: { output: string; height: number }) => ({
        height: frame.height,
        output: frame.output
          .split('\n')
          .map((line) => {
            const o = new OutputClass({ width: 40, height: 1 });
            o.operations.push({ type: 'write', x: 0, y: 0, text: line, transformers: [] });
            return original.call(o as never).output;
          })
          .join('\n'),
      });
      expect(normalize(a.get())).toEqual(normalize(original.call(b as never)));
    }
  });
});
