#!/usr/bin/env node
// Bundles celeryctl and camqadm each into one CommonJS file, which bin/celeryctl and bin/camqadm run through V8's code
// cache: a short command such as `celeryctl ping` or `camqadm queue.declare q` then starts without resolving and
// loading ~90 modules one by one (bench/ctl-ping.mjs).
//
//   dist/bundle/celeryctl.cjs    src/cli/entry/celeryctl.ts with everything it imports, npm packages included
//   dist/bundle/camqadm.cjs      src/cli/entry/camqadm.ts, the same way
//   dist/bundle/code-cache.cjs   src/cli/code-cache.ts, the runner both launchers load first
//
// Run by `npm run build` after tsc. The code caches the launchers write beside the bundles are removed here, since
// they belong to the previous build.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}dist/bundle`;

/** Options shared by both outputs: CommonJS for Node 20, since vm.Script (the code cache) runs scripts, not modules. */
const COMMON = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'silent',
  // vm.Script gives a script no way to import() at run time (not without an experimental loader hook), so have
  // esbuild turn every import() into a require(): bundled modules are then set up lazily, Node's own ones required.
  supported: { 'dynamic-import': false },
};

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

/** The bins that run as bundles: short one-shot commands, where loading modules one by one is most of the run. */
const BUNDLED_BINS = ['celeryctl', 'camqadm'];

const results = [
  ...(await Promise.all(
    BUNDLED_BINS.map((bin) =>
      build({
        ...COMMON,
        entryPoints: [`src/cli/entry/${bin}.ts`],
        outfile: `${OUT}/${bin}.cjs`,
        // src/cli/version.ts finds package.json from import.meta.url, which CommonJS lacks: derive it from
        // __filename. dist/bundle/ is two levels below the package root, as dist/cli/ is, so the path still holds.
        define: { 'import.meta.url': 'import_meta_url' },
        // The banner comes before esbuild's own "use strict", so it repeats the directive, which must open the file.
        banner: { js: '"use strict";\nconst import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
      }),
    ),
  )),
  await build({ ...COMMON, entryPoints: ['src/cli/code-cache.ts'], outfile: `${OUT}/code-cache.cjs` }),
];

const warnings = results.flatMap((r) => r.warnings);
if (warnings.length > 0) {
  for (const w of warnings) console.error(`bundle: ${w.location?.file ?? ''}:${w.location?.line ?? ''} ${w.text}`);
  process.exit(1);
}
for (const bin of BUNDLED_BINS) {
  if (/\bimport\(/.test(readFileSync(`${OUT}/${bin}.cjs`, 'utf8'))) {
    console.error(`bundle: dist/bundle/${bin}.cjs still calls import(), which cannot run under vm.Script`);
    process.exit(1);
  }
}
