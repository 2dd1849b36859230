/**
 * Ink turns every frame into a grid of styled characters: each line it writes is tokenized (ANSI codes split off,
 * one object per character) and measured. It caches that per frame only, so a screen that barely changes is
 * tokenized again in full every time, and that is most of a frame's cost: ~23 ms for the 120×40 live view on the
 * development machine, ~40 % less when lines unchanged since the last frame come from a cache
 * (bench/events/render-cost.mjs). The live view redraws at least once a second for the ages it shows, so this is
 * most of its idle CPU.
 *
 * This keeps Ink's own per-frame cache object alive across frames (the results are pure functions of the line's
 * text), starting a new one once it holds CACHE_LINES lines so memory stays bounded. It reaches into Ink's
 * build/output.js, which its package exports do not expose: package.json pins ink's version for that reason, and
 * when the file does not have the expected shape nothing is changed and Ink renders as it always does. This file is
 * the one boundary with that internal; test/unit/tui/ink-line-cache.test.tsx fails loudly if an Ink upgrade changes
 * it (the prototype's get(), or Output objects' caches.styledChars, which would make the cache silently do nothing).
 */
const CACHE_LINES = 5_000;

interface InkOutputCaches {
  readonly styledChars: Map<string, unknown>;
}

interface InkOutputPrototype {
  get(this: { caches: InkOutputCaches }): unknown;
}

let installed: Promise<boolean> | undefined;

/** Install the cross-frame cache once; resolves to whether Ink's output stage had the shape it expects. */
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

async function install(): Promise<boolean> {
  const proto = (await inkOutputClass())?.prototype;
  if (!proto || typeof proto.get !== 'function') return false;
  // Called with .call(this) below; the method is taken to be wrapped.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const frameOutput = proto.get;
  let shared: InkOutputCaches | undefined;
  proto.get = function (this: { caches: InkOutputCaches }) {
    if (!(this.caches?.styledChars instanceof Map)) return frameOutput.call(this);
    if (shared === undefined || shared.styledChars.size > CACHE_LINES) shared = this.caches;
    else this.caches = shared;
    return frameOutput.call(this);
  };
  return true;
}
