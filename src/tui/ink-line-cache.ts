import { BoundedCache } from './bounded-cache.js';
import { boundInkMeasureText } from './ink-measure-text.js';
import { narrowLineWidth } from './text-width.js';

/**
 * Ink turns every frame into a grid of styled characters: each line it writes is tokenized (ANSI codes split off,
 * one object per character) and measured. It caches that per frame only, so a screen that barely changes is
 * tokenized again in full every time, and that is most of a frame's cost (bench/events/render-cost.mjs). The live
 * view redraws at least once a second for the ages it shows.
 *
 * This gives every Ink Output object the same caches across frames (the results are pure functions of the line's
 * text), bounded by an estimate of the bytes they hold rather than by a count of lines: a styled line costs about
 * STYLED_CHAR_BYTES per character (an object and a style array each), so a count of 5,000 lines was ~100 MB at
 * 160 columns, rebuilt from scratch each time it filled under a fast task stream (issue 13). The least recently
 * used lines go first, so the lines of the current screen stay.
 *
 * It reaches into Ink's build/output.js, which its package exports do not expose: package.json pins ink's version
 * for that reason, and when the file does not have the expected shape nothing is changed and Ink renders as it
 * always does. This file is the one boundary with that internal; test/unit/tui/ink-line-cache.test.tsx fails
 * loudly if an Ink upgrade changes it (the prototype's get(), or Output objects' `caches` with its three maps).
 */
/** Styled lines kept across frames, in estimated bytes: ~3,000 full 160-column lines, ~60 screens of 50. */
export const STYLED_LINES_BUDGET_BYTES = 24 * 1024 * 1024;
/** Widths of lines, blocks and single characters kept across frames, in estimated bytes. */
export const WIDTHS_BUDGET_BYTES = 4 * 1024 * 1024;
/** One styled character: its object ({type, value, fullWidth, styles}) and its own styles array. */
const STYLED_CHAR_BYTES = 120;
/** A Map entry and a small number, beside the key's characters. */
const ENTRY_BYTES = 64;

interface InkOutputCaches {
  styledChars: Map<string, unknown>;
  widths: Map<string, unknown>;
  blockWidths: Map<string, unknown>;
}

type InkTransformer = (line: string, index: number) => string;
type InkOperation =
  | { readonly type: 'write'; readonly x: number; readonly y: number; readonly text: string; readonly transformers: readonly InkTransformer[] }
  | { readonly type: 'clip' | 'unclip' };

/** The parts of an Ink Output object this file reads. */
interface InkOutput {
  caches: InkOutputCaches;
  readonly width: number;
  readonly height: number;
  readonly operations: InkOperation[];
}

interface InkFrame {
  readonly output: string;
  readonly height: number;
}

interface InkOutputPrototype {
  get(this: InkOutput): InkFrame;
}

/** Rows of the screen as strings, by the writes that made them, in estimated bytes: a few hundred screens' worth. */
export const ROWS_BUDGET_BYTES = 8 * 1024 * 1024;

let installed: Promise<boolean> | undefined;

/** Install the cross-frame caches once, and bound Ink's measureText memo (ink-measure-text.ts); resolves to whether Ink's output stage had the shape it expects. */
export function shareInkLineCacheAcrossFrames(): Promise<boolean> {
  installed ??= Promise.all([install(), boundInkMeasureText()]).then(([output]) => output);
  return installed;
}

/** Ink's Output class (build/output.js), or undefined when it is not where this expects it. */
export async function inkOutputClass(): Promise<{ prototype?: InkOutputPrototype } | undefined> {
  try {
    const module = (await import(new URL('./output.js', import.meta.resolve('ink')).href)) as { default?: { prototype?: InkOutputPrototype } };
    return module.default;
  } catch {
    return undefined;
  }
}

/** The maps every frame shares: Ink's per-frame caches, bounded by bytes. */
export function sharedInkCaches(): {
  readonly styledChars: BoundedCache<unknown>;
  readonly widths: BoundedCache<unknown>;
  readonly blockWidths: BoundedCache<unknown>;
} {
  return shared;
}

const styledLineCost = (key: string, value: unknown) =>
  ENTRY_BYTES + key.length * 2 + (Array.isArray(value) ? value.length : key.length) * STYLED_CHAR_BYTES;
const widthCost = (key: string) => ENTRY_BYTES + key.length * 2;
const shared = {
  styledChars: new BoundedCache<unknown>(STYLED_LINES_BUDGET_BYTES, styledLineCost),
  // Read once per character of every frame: by insertion order, a read must cost one Map lookup.
  widths: new BoundedCache<unknown>(WIDTHS_BUDGET_BYTES / 2, widthCost, { refreshOnRead: false }),
  blockWidths: new BoundedCache<unknown>(WIDTHS_BUDGET_BYTES / 2, widthCost, { refreshOnRead: false }),
};

const rowCost = (key: string, value: string) => ENTRY_BYTES + (key.length + value.length) * 2;
const rows = new BoundedCache<string>(ROWS_BUDGET_BYTES, rowCost);
/** Ink's own get(), kept for the rows not in the cache and for tests. */
let inkGet: InkOutputPrototype['get'] | undefined;

/** Ink's Output.get as it was before this file wrapped it (undefined before install). */
export function unwrappedInkGet(): InkOutputPrototype['get'] | undefined {
  return inkGet;
}

function hasInkCaches(caches: unknown): caches is InkOutputCaches {
  const c = caches as Partial<InkOutputCaches> | undefined;
  return c?.styledChars instanceof Map && c.widths instanceof Map && c.blockWidths instanceof Map;
}

async function install(): Promise<boolean> {
  const proto = (await inkOutputClass())?.prototype;
  if (!proto || typeof proto.get !== 'function') return false;
  // Called with .call(this) below; the method is taken to be wrapped.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const frameOutput = proto.get;
  inkGet = frameOutput;
  proto.get = function (this: InkOutput) {
    if (!hasInkCaches(this.caches)) return frameOutput.call(this);
    shareCaches(this);
    if (!Array.isArray(this.operations) || this.operations.some((op) => op.type !== 'write')) return frameOutput.call(this);
    return frameByRows(this, frameOutput);
  };
  return true;
}

/** Ink's OutputCaches methods read these three maps; the object keeps its methods, only its maps are shared. */
function shareCaches(output: InkOutput): void {
  output.caches.styledChars = shared.styledChars;
  output.caches.widths = shared.widths;
  output.caches.blockWidths = shared.blockWidths;
}

/**
 * The frame Ink's get() would make, row by row: a row's string depends only on the writes that reach that row (their
 * column and transformed text, in order), so a row whose writes are the same as in an earlier frame comes from the
 * cache, and only the rows that changed are built, each by Ink's own get() on a one-row Output. Ink builds the whole
 * grid of styled characters and its string every frame, which was most of an idle frame's cost. Frames with clip
 * operations (none in camq's views) are left to Ink.
 */
function frameByRows(output: InkOutput, frameOutput: InkOutputPrototype['get']): InkFrame {
  const { width, height } = output;
  const parts: string[][] = Array.from({ length: height }, () => []);
  for (const op of output.operations) {
    if (op.type !== 'write') continue;
    // As Ink places them: line i on row y + i; a row outside the frame skips the line (so with a negative y, all).
    if (op.y < 0) continue;
    const lines = op.text.split('\n');
    for (let i = 0; i < lines.length && op.y + i < height; i++) {
      let line = lines[i]!;
      for (const transform of op.transformers) line = transform(line, i);
      parts[op.y + i]!.push(`${op.x}\u0000${line}`);
    }
  }
  const Output = (output as unknown as { constructor: new (options: { width: number; height: number }) => InkOutput }).constructor;
  const strings = parts.map((writes) => {
    if (writes.length === 0) return '';
    const key = writes.join('\u0001');
    let row = rows.get(key);
    if (row === undefined && writes.length === 1) row = singleWriteRow(writes[0]!, width);
    if (row === undefined) {
      const one = new Output({ width, height: 1 });
      shareCaches(one);
      for (const w of writes) {
        const at = w.indexOf('\u0000');
        one.operations.push({ type: 'write', x: Number(w.slice(0, at)), y: 0, text: w.slice(at + 1), transformers: [] });
      }
      row = frameOutput.call(one).output;
      rows.set(key, row);
    }
    return row;
  });
  return { output: strings.join('\n'), height };
}

/**
 * A row made of one write of one-cell characters (most rows: Ink squashes a row's nested texts into one write) is
 * its text after `x` spaces: what Ink's grid of styled characters gives, in the terminal, without building it.
 * Ink's string re-emits the same styles between the same characters (only the codes' grouping may differ, which
 * test/unit/tui/ink-line-cache.test.tsx checks by tokenizing both) and drops trailing spaces, as this does. Any other
 * row (wide or zero-width characters, escape sequences other than colours and styles, wider than the frame) is
 * left to Ink: undefined.
 */
function singleWriteRow(write: string, width: number): string | undefined {
  const at = write.indexOf('\u0000');
  const x = Number(write.slice(0, at));
  const line = write.slice(at + 1);
  const cells = narrowLineWidth(line);
  if (cells === undefined || x < 0 || x + cells > width) return undefined;
  return (' '.repeat(x) + line).trimEnd();
}
