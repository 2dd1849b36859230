/**
 * The layers go one way: wire (src/amqp, amqplib) → transport seam (src/transport) → protocol (pure functions) →
 * engines (shell, control, events, worker, broker, demo) → views (src/cli, src/tui). This reads every import of every file under src/ — static,
 * type-only, re-exports and lazy `import()`s, as TypeScript's own pre-processor sees them — and fails on an import
 * that goes the wrong way or closes a cycle. A type-only cycle counts too: it is a pair of files that cannot be
 * understood, moved or tested one without the other. (celeryctl-import-graph.test.ts keeps celeryctl's startup
 * graph small; this one keeps the whole tree layered.)
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Node builtins protocol may use: randomUUID for task and message ids. Nothing that does I/O. */
const PROTOCOL_BUILTINS = new Set(['node:crypto']);
/** The body codecs kombu registers, pure functions of bytes: each only in the one protocol file that wraps it. */
const PROTOCOL_CODECS: Readonly<Record<string, readonly string[]>> = {
  'src/protocol/serializer.ts': ['@msgpack/msgpack', 'yaml', 'node:module'],
  'src/protocol/compression.ts': ['node:zlib', 'node:module'],
};
const ENGINES = [
  'src/shell/',
  'src/control/',
  'src/events/',
  'src/worker/',
  'src/broker/',
  'src/demo/',
  'src/queues/',
  'src/metrics/',
  'src/audit/',
  'src/dispatch/',
  'src/tap/',
  'src/beat/',
  'src/journal/',
  'src/recorder/',
  'src/failures/',
  'src/history/',
];
const VIEWS = ['src/cli/', 'src/tui/', 'src/http/'];
/** The modules allowed to import amqplib: the wire layer (src/amqp), whose amqplib-internals.ts also serves the broker's codec. */
const AMQPLIB_IMPORTERS = (file: string) => file.startsWith('src/amqp/');
/** The engines that reach a broker: through the transport seam (src/transport), never the wire layer (src/amqp). */
const BROKER_USERS = [
  'src/shell/',
  'src/control/',
  'src/events/',
  'src/worker/',
  'src/demo/',
  'src/dispatch/',
  'src/tap/',
  'src/beat/',
  'src/recorder/',
];
/** Protocol functions that build a frame or a Celery message: engines call them, views never do. */
const MESSAGE_BUILDERS =
  /\b(buildControlRequest|buildControlReply|buildEvent|buildEventMessage|buildTaskMessage|buildRetryMessage|buildResultMessage|encodeJson)\b/;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every import of `file` (relative to ROOT): other files as `src/...`, packages and builtins by their specifier. */
function importsOf(file: string, source = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map(({ fileName: spec }) => {
    if (!spec.startsWith('.')) return spec;
    const target = resolve(dirname(join(ROOT, file)), spec).replace(/\.js$/, '');
    const found = ['.ts', '.tsx', '/index.ts'].map((ext) => target + ext).find((f) => existsSync(f));
    if (!found) throw new Error(`${file} imports ${spec}, which does not exist`);
    return relative(ROOT, found);
  });
}

function buildGraph(): Map<string, string[]> {
  return new Map(sourceFiles('src').map((file) => [file, importsOf(file)]));
}

/** The strongly connected components with more than one file (Tarjan), each sorted: the import cycles. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const violations = (graph: ReadonlyMap<string, readonly string[]>, from: (file: string) => boolean, bad: (spec: string, file: string) => boolean) =>
  [...graph].flatMap(([file, specs]) => (from(file) ? specs.filter((spec) => bad(spec, file)).map((spec) => `${file} -> ${spec}`) : []));

describe('layering of src/', () => {
  const graph = buildGraph();

  it('reads the whole tree', () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get('src/cli/commands/shell.ts')).toContain('commander');
  });

  const LOWER = ['src/amqp/', 'src/transport/', 'src/protocol/', 'src/errors/', 'src/util/'];
  /** Each rule: which files it applies to, and which of their imports break it. */
  it.each<[string, (file: string) => boolean, (spec: string, file: string) => boolean]>([
    [
      'protocol imports nothing but itself (and node:crypto for ids, the body codecs in their own files)',
      (f) => f.startsWith('src/protocol/'),
      (s, f) => !s.startsWith('src/protocol/') && !PROTOCOL_BUILTINS.has(s) && !PROTOCOL_CODECS[f]?.includes(s),
    ],
    ['only the wire layer (src/amqp) imports amqplib', (f) => !AMQPLIB_IMPORTERS(f), (s) => s === 'amqplib' || s.startsWith('amqplib/')],
    [
      'engines reach a broker through src/transport, never src/amqp (the embedded broker, src/broker, is the wire itself)',
      (f) => BROKER_USERS.some((dir) => f.startsWith(dir)),
      (s) => s.startsWith('src/amqp/'),
    ],
    ['no engine imports the CLI or the TUI', (f) => ENGINES.some((dir) => f.startsWith(dir)), (s) => VIEWS.some((dir) => s.startsWith(dir))],
    [
      'the wire layer, protocol, errors and util import no engine and no view',
      (f) => LOWER.some((dir) => f.startsWith(dir)),
      (s) => [...ENGINES, ...VIEWS].some((dir) => s.startsWith(dir)),
    ],
  ])('%s', (_rule, from, bad) => {
    expect(violations(graph, from, bad)).toEqual([]);
  });

  it('views build no frames and no Celery messages', () => {
    const builders = sourceFiles('src')
      .filter((f) => VIEWS.some((dir) => f.startsWith(dir)))
      .filter((f) => MESSAGE_BUILDERS.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(builders).toEqual([]);
  });

  it('has no import cycles, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('sees every import form, type-only and lazy ones included, and finds a cycle', () => {
    const source = [
      "import { render } from 'ink';",
      "import type { Command } from 'commander';",
      "export type { Y } from './y.js';",
      "import './side-effect.js';",
      "const m = await import('../tui/app.js');",
    ].join('\n');
    expect(ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName)).toEqual([
      'ink',
      'commander',
      './y.js',
      './side-effect.js',
      '../tui/app.js',
    ]);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });
});
