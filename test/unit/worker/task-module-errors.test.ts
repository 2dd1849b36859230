/**
 * A task module that does not load says why, through the real bin (issue 10 items 2 and 3): a missing dependency
 * names what is missing and from where (not "cannot find the task module"), and a JavaScript syntax error names
 * `file:line:column` with the source line and a caret, for ES modules (whose errors carry no location) and
 * CommonJS, in the module or in a file it imports. A broker nobody listens on (port 1) is enough: the module loads
 * before the worker connects. Needs `npm run build`.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin } from '../../helpers/run-bin.js';

const NOBODY = 'amqp://guest:guest@127.0.0.1:1//';
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'camq-task-module-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REGISTER = 'export default (app) => { app.task("tasks.noop", () => null) };\n';
const files: Record<string, string> = {
  'needs-package.mjs': `import x from 'camq-no-such-package';\n${REGISTER}`,
  'needs-helper.mjs': `import { h } from './helpers.js';\n${REGISTER}`,
  'requires-package.cjs': `const x = require('camq-no-such-package');\nmodule.exports = () => {};\n`,
  'requires-helper.cjs': `const h = require('./no-helper');\nmodule.exports = () => {};\n`,
  'broken.mjs': `export default (app) => {\n  const x = ;\n};\n`,
  'imports-broken.mjs': `import { ok } from './fine.mjs';\nimport b from './broken.mjs';\n${REGISTER}`,
  'fine.mjs': `export const ok = 1;\n`,
  'imports-broken-cjs.mjs': `import b from './broken.cjs';\nexport default b;\n`,
  'broken.cjs': `module.exports = (app) => {\n\tif (app) {\n\t\tapp.task('x', () => 1))\n\t}\n};\n`,
};
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);

async function load(module: string) {
  return runBin('camq', ['-b', NOBODY, 'worker', '-A', join(dir, module), '-n', 'tm@test'], { timeoutMs: 30_000 });
}

describe('a task module that does not load', () => {
  it.each([
    ['needs-package.mjs', `package 'camq-no-such-package', imported from ${dir}/needs-package.mjs, is not installed`],
    ['needs-helper.mjs', `${dir}/helpers.js, imported from ${dir}/needs-helper.mjs, does not exist`],
    ['requires-package.cjs', `package 'camq-no-such-package', required from ${dir}/requires-package.cjs, is not installed`],
    ['requires-helper.cjs', `'./no-helper', required from ${dir}/requires-helper.cjs, does not exist`],
  ])('%s: names the missing dependency and the file that wants it', async (module, says) => {
    const r = await load(module);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: cannot load the task module ${dir}/${module}: ${says}; ${r.stderr.split('; ').at(-1)}`);
    expect(r.stderr).not.toContain('cannot find the task module');
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('a missing module itself is still "cannot find the task module"', async () => {
    const r = await load('nothing-here.mjs');
    expect(r.stderr).toBe(`Error: cannot find the task module ${dir}/nothing-here.mjs; pass -A with the path of a .js, .mjs or .ts file\n`);
  });

  it.each([
    ['broken.mjs', 'broken.mjs:2:13', "Unexpected token ';'", '    const x = ;', '              ^'],
    ['imports-broken.mjs', 'broken.mjs:2:13', "Unexpected token ';'", '    const x = ;', '              ^'],
    // Tabs count as one column, and show as one space so the caret stays under the column.
    ['imports-broken-cjs.mjs', 'broken.cjs:3:25', "Unexpected token ')'", "    app.task('x', () => 1))", `${' '.repeat(26)}^`],
    ['broken.cjs', 'broken.cjs:3:25', "Unexpected token ')'", "    app.task('x', () => 1))", `${' '.repeat(26)}^`],
  ])('%s: a syntax error shows file:line:column and the caret', async (module, at, message, source, caret) => {
    const r = await load(module);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      `Error: cannot load the task module ${dir}/${module}: syntax error at ${dir}/${at}: ${message}`,
      source,
      caret,
      '',
    ]);
  });
});
