/**
 * A task module's mistakes (no name, a handler that is not a function, a name registered twice, a rate limit that
 * does not parse) are bad input: a UsageError the CLI prints as one line, not a TypeError or RangeError it prints as
 * a bug with "(run with --debug for the stack trace)".
 */
import { describe, expect, it } from 'vitest';
import { reportError } from '../../../src/cli/main.js';
import { CamqError } from '../../../src/errors/index.js';
import { CamqApp } from '../../../src/worker/index.js';
import { RateLimiter } from '../../../src/worker/rate-limiter.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

function printed(err: unknown): { lines: string[]; exit: number } {
  let out = '';
  const stream = { write: (text: string) => ((out += text), true), isTTY: false };
  const exit = reportError(err, { stdout: stream, stderr: stream, env: {} } as never);
  return { lines: out.trimEnd().split('\n'), exit };
}

describe('task definition errors', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['no name', () => new CamqApp().task('', () => 1), 'usage.task-definition', 'a task needs a non-empty name'],
    [
      'a handler that is not a function',
      () => new CamqApp().task('t', 42 as never),
      'usage.task-definition',
      'task t: the handler must be a function',
    ],
    [
      'a name registered twice',
      () => {
        const app = new CamqApp();
        app.task('t', () => 1);
        app.task('t', () => 2);
      },
      'usage.task-definition',
      'task t is registered twice',
    ],
    [
      'a rate limit that does not parse',
      () => new RateLimiter({ clock: new ManualClock(), release: () => {} }).setRate('t', 'fast'),
      'usage.bad-rate',
      "invalid rate 'fast'",
    ],
  ];
  for (const [what, fn, code, message] of cases) {
    it(`${what}: a UsageError (${code}), printed as one line, exit 1`, () => {
      const err = thrown(fn);
      expect(err).toBeInstanceOf(CamqError);
      expect((err as CamqError).code).toBe(code);
      const { lines, exit } = printed(err);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(message);
      expect(exit).toBe(1);
    });
  }
});
