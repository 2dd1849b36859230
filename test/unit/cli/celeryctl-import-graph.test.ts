/**
 * celeryctl's startup time is its benchmark (bench/ctl-ping.mjs), so its module graph stays small: this walks the
 * imports of src/cli/entry/celeryctl.ts (static ones, and the lazy `import('...')`s its commands make) and fails
 * if Ink, React, the worker or the TUI could load, or an npm package outside the short list below. bin/celeryctl
 * runs that graph as one bundle (scripts/bundle.mjs), so the last test asks esbuild what goes into it.
 */
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/entry/celeryctl.ts');

/** npm packages celeryctl may load (and, below them, their own dependencies). */
// ioredis: celeryctl speaks kombu's Redis transport too (redis:// URLs, src/redis).
const ALLOWED_PACKAGES = ['commander', 'chalk', 'amqplib', 'cli-table3', 'ioredis'];
const FORBIDDEN_PACKAGES = ['ink', 'react', 'react-dom', 'ink-testing-library'];
const FORBIDDEN_SOURCES = ['src/tui/', 'src/worker/', 'src/events/', 'src/shell/'];

interface Graph {
  files: Set<string>;
  packages: Set<string>;
}

const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function specifiers(source: string, withDynamic: boolean): string[] {
  const out = [...source.matchAll(IMPORT)].map((m) => m[1]!);
  if (withDynamic) out.push(...[...source.matchAll(DYNAMIC)].map((m) => m[1]!));
  return out;
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function walk(entry: string, withDynamic: boolean): Graph {
  const graph: Graph = { files: new Set(), packages: new Set() };
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.files.has(file)) continue;
    graph.files.add(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'), withDynamic)) {
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, '');
        const found = ['.ts', '.tsx'].map((ext) => target + ext).find((f) => existsSync(f));
        if (!found) throw new Error(`${relative(ROOT, file)} imports ${spec}, which does not exist`);
        queue.push(found);
      } else {
        graph.packages.add(packageName(spec));
      }
    }
  }
  return graph;
}

/** A package and everything it depends on, optionally too, by the package.json files under node_modules (nested ones first). */
/** The source files esbuild puts in a bundle of `entry`, with the options that decide it (as scripts/bundle.mjs). */
async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

function packageClosure(names: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue = [...names].map((name) => ({ name, from: ROOT }));
  while (queue.length > 0) {
    const { name, from } = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const dir = [join(from, 'node_modules', name), join(ROOT, 'node_modules', name)].find((d) => existsSync(join(d, 'package.json')));
    if (!dir) continue; // a builtin written without node:
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<
      'dependencies' | 'optionalDependencies',
      Record<string, string> | undefined
    >;
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
    queue.push(...deps.map((dep) => ({ name: dep, from: dir })));
  }
  return seen;
}

describe('celeryctl import graph', () => {
  for (const [label, withDynamic] of [
    ['static imports', false],
    ['static and lazy imports', true],
  ] as const) {
    it(`${label} stay clear of Ink, React, the worker and the TUI`, () => {
      const graph = walk(ENTRY, withDynamic);
      const sources = [...graph.files].map((f) => relative(ROOT, f));
      expect(sources).toContain('src/cli/commands/ctl.ts');
      expect(sources.filter((f) => FORBIDDEN_SOURCES.some((dir) => f.startsWith(dir)))).toEqual([]);
      const closure = packageClosure(graph.packages);
      expect([...closure].filter((p) => FORBIDDEN_PACKAGES.includes(p))).toEqual([]);
      expect([...graph.packages].filter((p) => !ALLOWED_PACKAGES.includes(p))).toEqual([]);
    });
  }

  it('loads the control engine and amqplib only lazily', () => {
    const eager = walk(ENTRY, false);
    expect([...eager.files].map((f) => relative(ROOT, f))).not.toContain('src/control/control-client.ts');
    expect(eager.packages.has('amqplib')).toBe(false);
    expect(eager.packages.has('cli-table3')).toBe(false);
    expect(walk(ENTRY, true).packages.has('amqplib')).toBe(true);
  });

  it('bundles the same graph: no Ink, React, worker or TUI code in dist/bundle/celeryctl.cjs', async () => {
    const inputs = await bundledInputs(ENTRY);
    expect(inputs).toContain('src/control/control-client.ts');
    expect(inputs.filter((f) => FORBIDDEN_SOURCES.some((dir) => f.startsWith(dir)))).toEqual([]);
    const bundled = new Set(inputs.filter((f) => f.includes('node_modules/')).map((f) => packageName(f.slice(f.lastIndexOf('node_modules/') + 13))));
    expect([...bundled].filter((p) => FORBIDDEN_PACKAGES.includes(p))).toEqual([]);
    expect([...bundled].filter((p) => !packageClosure(ALLOWED_PACKAGES).has(p))).toEqual([]);
  });

  it('bundles camqadm (dist/bundle/camqadm.cjs) without Ink, React, the worker, the events engine or the TUI', async () => {
    const inputs = await bundledInputs(join(ROOT, 'src/cli/entry/camqadm.ts'));
    expect(inputs).toContain('src/shell/shell-session.ts');
    expect(inputs.filter((f) => ['src/tui/', 'src/worker/', 'src/events/'].some((dir) => f.startsWith(dir)))).toEqual([]);
    const bundled = new Set(inputs.filter((f) => f.includes('node_modules/')).map((f) => packageName(f.slice(f.lastIndexOf('node_modules/') + 13))));
    expect([...bundled].filter((p) => FORBIDDEN_PACKAGES.includes(p))).toEqual([]);
  });

  it('reads the import forms the walk relies on (so a real import of ink would be seen)', () => {
    const source = [
      "import { render } from 'ink';",
      "import React, { useState } from 'react';",
      "import type { Command } from 'commander';",
      "export { x } from './x.js';",
      "export type { Y } from './y.js';",
      "import './side-effect.js';",
      "const m = await import('../../tui/app.js');",
    ].join('\n');
    expect(specifiers(source, false)).toEqual(['ink', 'react', './x.js', './side-effect.js']);
    expect(specifiers(source, true)).toContain('../../tui/app.js');
    expect(packageClosure(['ink']).size).toBeGreaterThan(5);
    expect(packageClosure(['cli-table3'])).toContain('string-width');
  });
});
