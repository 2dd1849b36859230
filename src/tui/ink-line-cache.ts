import { BoundedCache } from './bounded-cache.js';

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

interface InkOutputPrototype {
  get(this: { caches: InkOutputCaches }): unknown;
}

let installed: Promise<boolean> | undefined;

/** Install the cross-frame caches once; resolves to whether Ink's output stage had the shape it expects. */
export function shareInkLineCacheAcrossFrames(): Promise<boolean> {
  installed ??= install();
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
  widths: new BoundedCache<unknown>(WIDTHS_BUDGET_BYTES / 2, widthCost),
  blockWidths: new BoundedCache<unknown>(WIDTHS_BUDGET_BYTES / 2, widthCost),
};

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
  proto.get = function (this: { caches: InkOutputCaches }) {
    if (!hasInkCaches(this.caches)) return frameOutput.call(this);
    // Ink's OutputCaches methods read these three maps; the object keeps its methods, only its maps are shared.
    this.caches.styledChars = shared.styledChars;
    this.caches.widths = shared.widths;
    this.caches.blockWidths = shared.blockWidths;
    return frameOutput.call(this);
  };
  return true;
}
