/**
 * The package root exports what the README and docs/worker.md promise: the error classes, importable from 'camq' (the
 * built package, dist/index.js, as a user's `import` resolves it through package.json's exports) and catchable with
 * instanceof on what camq itself throws. Runs in a child Node process so that 'camq' resolves the way it does for a
 * user, not through vitest's resolver; needs `npm run build` first, like the tests that run bin/.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const SCRIPT = `
import * as camq from 'camq';
const out = {};
const results = (body) => ({ wait: () => ({ promise: body === null ? new Promise(() => {}) : Promise.resolve(body), cancel() {} }) });
async function caught(fn) { try { await fn(); return 'no error'; } catch (err) { return err; } }
const failed = await caught(() => new camq.AsyncResult('t1', results({ status: 'FAILURE', result: { exc_type: 'KeyError', exc_message: ['x'], exc_module: 'builtins' }, traceback: null })).get());
out.failed = [failed instanceof camq.TaskFailedError, failed instanceof camq.CamqError, failed.code, failed.excType];
const revoked = await caught(() => new camq.AsyncResult('t2', results({ status: 'REVOKED', result: { exc_type: 'TaskRevokedError', exc_message: ['terminated'], exc_module: 'celery.exceptions' }, traceback: null })).get());
out.revoked = [revoked instanceof camq.TaskRevokedError, revoked.message];
const timedOut = await caught(() => new camq.AsyncResult('t3', results(null)).get({ timeout: 0.001 }));
out.timedOut = [timedOut instanceof camq.ResultTimeoutError, timedOut instanceof camq.CamqError, timedOut.code];
const usage = await caught(() => new camq.CamqApp().task('', () => 1));
out.usage = [usage instanceof camq.UsageError, usage.code];
const names = ['CamqError', 'UsageError', 'BrokerError', 'BrokerConnectionError', 'ConnectionClosedError', 'UnencodableError',
  'MessageReturnedError', 'ShellInputError', 'TaskFailedError', 'ResultTimeoutError'];
out.camqErrors = names.filter((name) => typeof camq[name] === 'function' && (camq[name] === camq.CamqError || camq[name].prototype instanceof camq.CamqError));
out.celeryErrors = ['TaskRevokedError', 'TimeLimitExceeded', 'SoftTimeLimitExceeded', 'NotRegistered', 'MaxRetriesExceededError', 'Retry', 'Reject', 'Ignore']
  .filter((name) => typeof camq[name] === 'function');
out.codes = [camq.ERROR_CODES.includes('task.failed'), camq.isErrorCode('broker.not-found')];
console.log(JSON.stringify(out));
`;

describe("the package root ('camq')", () => {
  it('exports the error classes, and what camq throws is an instance of them', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: ROOT, encoding: 'utf8' })) as Record<
      string,
      unknown
    >;
    expect(out['failed']).toEqual([true, true, 'task.failed', 'KeyError']);
    expect(out['revoked']).toEqual([true, 'terminated']);
    expect(out['timedOut']).toEqual([true, true, 'task.timeout']);
    expect(out['usage']).toEqual([true, 'usage.task-definition']);
    expect(out['camqErrors']).toEqual([
      'CamqError',
      'UsageError',
      'BrokerError',
      'BrokerConnectionError',
      'ConnectionClosedError',
      'UnencodableError',
      'MessageReturnedError',
      'ShellInputError',
      'TaskFailedError',
      'ResultTimeoutError',
    ]);
    expect(out['celeryErrors']).toHaveLength(8);
    expect(out['codes']).toEqual([true, true]);
  });
});
