/**
 * Comments in src/ point at the repository's own documentation (`docs/protocol.md, Remote control`): never at a file
 * outside it (the workspace's PROTOCOL.md or DESIGN.md, which a reader of the repository does not have), and only at
 * docs files and sections that exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(`${dir}/${entry.name}`) : /\.tsx?$/.test(entry.name) ? [`${dir}/${entry.name}`] : [],
  );
}

const OUTSIDE = /\b(PROTOCOL|DESIGN|STYLE)\.md\b|\.\.\/shared\//;

const files = sources('src').map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));

function headings(doc: string): string[] {
  return [...readFileSync(join(ROOT, 'docs', doc), 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!);
}

describe('documentation references in src/', () => {
  it('cite no file outside the repository', () => {
    const outside = files.flatMap(({ file, text }) =>
      text
        .split('\n')
        .map((line, i) => ({ line, where: `${file}:${i + 1}` }))
        .filter(({ line }) => OUTSIDE.test(line))
        .map(({ where }) => where),
    );
    expect(outside).toEqual([]);
  });

  it('name docs files that exist, and sections of docs/protocol.md by a heading it has', () => {
    const protocolHeadings = headings('protocol.md');
    const broken: string[] = [];
    let seen = 0;
    for (const { file, text } of files) {
      for (const m of text.matchAll(/\bdocs\/([a-z-]+\.md)(?:, ([A-Z][^),.:;\n]*))?/g)) {
        seen++;
        const [, doc, section] = m;
        if (!existsSync(join(ROOT, 'docs', doc!))) broken.push(`${file}: docs/${doc} does not exist`);
        else if (doc === 'protocol.md' && section !== undefined) {
          const known = (name: string) => protocolHeadings.some((h) => h.startsWith(name.trim()));
          if (!known(section) && !section.split(' and ').every(known)) broken.push(`${file}: docs/protocol.md has no section '${section}'`);
        }
      }
    }
    expect(seen).toBeGreaterThan(40);
    expect(broken).toEqual([]);
  });
});
