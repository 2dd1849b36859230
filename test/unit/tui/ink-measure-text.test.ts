import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import {
  boundInkMeasureText,
  inkMeasureMemo,
  inkMeasureText,
  MEASURED_TEXTS_BUDGET_BYTES,
  measuredTexts,
} from '../../../src/tui/ink-measure-text.js';

const widest = (text: string) => Math.max(...text.split('\n').map((l) => stringWidth(l)));

describe('boundInkMeasureText', () => {
  it("finds Ink's measureText memo in the shape it expects (a new Ink version must be checked before it is taken)", async () => {
    expect(await boundInkMeasureText()).toBe(true);
    expect(await boundInkMeasureText()).toBe(true);
    expect(inkMeasureMemo()).toBeInstanceOf(Map);
  });

  it('measures as Ink did: the widest line by string-width and the number of lines', async () => {
    await boundInkMeasureText();
    const measureText = (await inkMeasureText())!;
    const texts = ['abc', '1.20s… › ·', '漢字 wide', 'two\nlines…', '\u001b[32mgreen\u001b[39m ▁▄█', 'e\u0301 👍 ~', 'a\tb'];
    for (const text of texts) expect(measureText(text), text).toEqual({ width: widest(text), height: text.split('\n').length });
    expect(measureText('')).toEqual({ width: 0, height: 0 });
  });

  it('stays within its byte budget however many distinct texts are measured, and Ink’s own Map stays empty', async () => {
    await boundInkMeasureText();
    const measureText = (await inkMeasureText())!;
    for (let i = 0; i < 30_000; i++) measureText(`row ${i} ${'x'.repeat(150)} 1.${i}s…`);
    expect(measuredTexts().bytes).toBeLessThanOrEqual(MEASURED_TEXTS_BUDGET_BYTES);
    expect(measuredTexts().size).toBeLessThan(30_000);
    expect(inkMeasureMemo()!.size).toBe(0);
    expect(measureText('row 29999 again')).toEqual({ width: 15, height: 1 });
  });
});
