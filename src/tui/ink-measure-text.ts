import stringWidth from 'string-width';
import { BoundedCache } from './bounded-cache.js';
import { narrowLineWidth } from './text-width.js';

/**
 * Ink measures the text of every text node Yoga lays out through build/measure-text.js, which memoizes each result in
 * a module-private Map that is never trimmed: one entry per distinct string ever measured. A live view whose rows
 * change (ages ticking, tasks streaming by) measures some 200 new row texts a second under a fast stream, so that Map
 * grows by 50 to 100 KB a second for as long as the view runs (issue 13).
 *
 * Ink does not export the Map, and camq does not edit node_modules. This module finds it at load time by asking Ink's
 * own measureText for a string no one measured yet while Map.prototype.set is watched for that key (the watch is
 * removed at once), then makes that Map object a front for a cache bounded by bytes: its own get and set go to a
 * BoundedCache, so the Map itself stays empty and Ink's code is unchanged. On a miss, get() measures as Ink does
 * (the widest line by string-width, the count of lines) but takes the one-cell-a-character path for lines made only
 * of such characters (text-width.ts's narrowLineWidth), where string-width walks graphemes: ~200 µs for a
 * 160-column row holding one `…`.
 *
 * Like ink-line-cache.ts it reaches into a file Ink's package exports do not expose; package.json pins ink's version
 * for that reason, and when the file does not have the expected shape nothing is changed and Ink measures as it always
 * did. test/unit/tui/ink-measure-text.test.ts fails loudly if an Ink upgrade changes it.
 */

/** Dimensions Ink's measureText returns. */
export interface TextDimensions {
  readonly width: number;
  readonly height: number;
}

type InkMeasureText = (text: string) => TextDimensions;

/** Measured texts kept, in estimated bytes (a 160-column row is ~400 bytes with its entry: ~10,000 rows). */
export const MEASURED_TEXTS_BUDGET_BYTES = 4 * 1024 * 1024;
/** A Map entry and the dimensions object, beside the key's characters. */
const ENTRY_BYTES = 96;

const measured = new BoundedCache<TextDimensions>(MEASURED_TEXTS_BUDGET_BYTES, (key) => ENTRY_BYTES + key.length * 2, {
  // Read for every text node Yoga measures: by insertion order, a read must cost one Map lookup.
  refreshOnRead: false,
});

let installed: Promise<boolean> | undefined;
let inkMemo: Map<string, TextDimensions> | undefined;

/** Bound Ink's measureText memo once; resolves to whether Ink's measure-text.js had the shape this expects. */
export function boundInkMeasureText(): Promise<boolean> {
  installed ??= install();
  return installed;
}

/** The cache behind Ink's measureText memo once bound (its bytes and size are what the tests read). */
export function measuredTexts(): BoundedCache<TextDimensions> {
  return measured;
}

/** Ink's own memo Map once found (it stays empty once bound), for tests. */
export function inkMeasureMemo(): Map<string, TextDimensions> | undefined {
  return inkMemo;
}

/** Ink's measureText (build/measure-text.js), or undefined when it is not where this expects it. */
export async function inkMeasureText(): Promise<InkMeasureText | undefined> {
  try {
    const module = (await import(new URL('./measure-text.js', import.meta.resolve('ink')).href)) as { default?: unknown };
    return typeof module.default === 'function' ? (module.default as InkMeasureText) : undefined;
  } catch {
    return undefined;
  }
}

/** What Ink's measureText computes for non-empty text: the widest line's cells and the number of lines. */
export function measureLikeInk(text: string): TextDimensions {
  let width = 0;
  const lines = text.split('\n');
  for (const line of lines) width = Math.max(width, narrowLineWidth(line) ?? stringWidth(line));
  return { width, height: lines.length };
}

/** The Map measureText sets its result in while measuring `probe`, watched for that one call. */
function findMemo(measureText: InkMeasureText, probe: string): Map<string, TextDimensions> | undefined {
  // The original set, called through on every call while watched; restored below before anything else runs.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const set = Map.prototype.set;
  let found: Map<string, TextDimensions> | undefined;
  Map.prototype.set = function (this: Map<unknown, unknown>, key: unknown, value: unknown) {
    if (key === probe && found === undefined) found = this as Map<string, TextDimensions>;
    return set.call(this, key, value);
  };
  try {
    measureText(probe);
  } finally {
    Map.prototype.set = set;
  }
  return found;
}

async function install(): Promise<boolean> {
  const measureText = await inkMeasureText();
  if (!measureText) return false;
  const probe = `camq measure probe ${process.pid} ${Date.now()} ${Math.random()}`;
  const memo = findMemo(measureText, probe);
  if (!memo || memo.get(probe)?.width !== probe.length) return false;
  memo.clear();
  // Own properties shadow Map.prototype's for Ink's `cache.get(text)` and `cache.set(text, dimensions)`.
  Object.defineProperty(memo, 'get', {
    value: (text: string): TextDimensions => {
      let dimensions = measured.get(text);
      if (dimensions === undefined) {
        dimensions = measureLikeInk(text);
        measured.set(text, dimensions);
      }
      return dimensions;
    },
  });
  Object.defineProperty(memo, 'set', {
    value: (text: string, dimensions: TextDimensions) => {
      measured.set(text, dimensions);
      return memo;
    },
  });
  inkMemo = memo;
  return measureText(probe).width === probe.length;
}
