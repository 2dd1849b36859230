import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { inkOutputClass, shareInkLineCacheAcrossFrames } from '../../../src/tui/ink-line-cache.js';

describe('shareInkLineCacheAcrossFrames', () => {
  it("finds Ink's output stage in the shape it expects (a new Ink version must be checked before it is taken)", async () => {
    expect(await shareInkLineCacheAcrossFrames()).toBe(true);
    expect(await shareInkLineCacheAcrossFrames()).toBe(true);
  });

  it("Ink's Output objects still carry the per-frame cache it shares, and frames after the first reuse it", async () => {
    await shareInkLineCacheAcrossFrames();
    type Output = {
      caches: { styledChars: unknown };
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
    expect(second.caches).toBe(first.caches);
  });

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
