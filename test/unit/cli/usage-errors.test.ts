/**
 * One error style for every program and subcommand (issue 9 item 13, issue 10 item 9): a usage error is ONE line,
 * `Error: <what was wrong> (run '<the command> --help' for usage)`, exit code 1, nothing on stdout; help and the
 * version still exit 0. No broker is needed: each of these fails before connecting.
 */
import { describe, expect, it } from 'vitest';
import { createCeleryctlProgram } from '../../../src/cli/commands/ctl.js';
import { createCamqadmProgram } from '../../../src/cli/commands/shell.js';
import { runCli } from '../../../src/cli/main.js';
import { createCamqProgram } from '../../../src/cli/program.js';
import { captureIO } from '../../helpers/capture-io.js';

const PROGRAMS = {
  camq: (io: ReturnType<typeof captureIO>['io']) => createCamqProgram(io),
  celeryctl: (io: ReturnType<typeof captureIO>['io']) =>
    createCeleryctlProgram({ io, connect: () => Promise.reject(new Error('no broker in this test')) }),
  camqadm: (io: ReturnType<typeof captureIO>['io']) => createCamqadmProgram(io),
};

async function run(program: keyof typeof PROGRAMS, args: string[]) {
  const cap = captureIO();
  const code = await runCli(PROGRAMS[program](cap.io), ['node', program, ...args], cap.io);
  return { code, out: cap.out(), err: cap.err() };
}

describe('usage errors: one line in camq style, with the hint of the command that failed', () => {
  it.each([
    ['celeryctl', ['--nope'], "unknown option '--nope'", 'celeryctl'],
    ['celeryctl', ['rate_limit', 'tasks.add', '1/s'], "unknown command 'rate_limit'; did you mean 'rate-limit'?", 'celeryctl'],
    ['celeryctl', ['frobnicate'], "unknown command 'frobnicate'", 'celeryctl'],
    ['celeryctl', ['rate-limit', 'tasks.add'], "missing required argument 'rate'", 'celeryctl rate-limit'],
    ['celeryctl', ['rate-limit', 'a', '1/s', 'extra'], "too many arguments for 'rate-limit': expected 2 arguments but got 3", 'celeryctl rate-limit'],
    [
      'celeryctl',
      ['ping', '--timeout', 'abc'],
      "option '-t, --timeout <seconds>' argument 'abc' is invalid: expected seconds as a number > 0",
      'celeryctl ping',
    ],
    ['celeryctl', ['ping', '-t'], "option '-t, --timeout <seconds>' argument missing", 'celeryctl ping'],
    ['celeryctl', ['ping', '--limit', '0'], "option '--limit <n>' argument '0' is invalid", 'celeryctl ping'],
    ['celeryctl', ['inspect', 'bogus'], "unknown inspect target 'bogus'", 'celeryctl inspect'],
    ['celeryctl', ['inspect', 'ping', 'extra'], "inspect ping takes no arguments (got 'extra')", 'celeryctl inspect'],
    ['celeryctl', ['rate-limit', 'tasks.add', '10/x'], "invalid rate '10/x'", 'celeryctl rate-limit'],
    ['celeryctl', ['terminate', 'SIGFOO', 'id'], "unknown signal 'SIGFOO'", 'celeryctl terminate'],
    ['camq', ['--nope'], "unknown option '--nope'", 'camq'],
    ['camq', ['wroker'], "unknown command 'wroker'; did you mean 'worker'?", 'camq'],
    ['camq', ['--max-tasks', 'x'], "option '--max-tasks <n>' argument 'x' is invalid", 'camq'],
    ['camq', ['ctl', 'ping', '--nope'], "unknown option '--nope'", 'camq ctl ping'],
    ['camq', ['ctl', 'rate-limit'], "missing required argument 'task'", 'camq ctl rate-limit'],
    ['camq', ['worker', '--concurrency', 'x'], "option '-c, --concurrency <n>' argument 'x' is invalid", 'camq worker'],
    ['camq', ['broker', 'extra'], "too many arguments for 'broker': expected 0 arguments but got 1", 'camq broker'],
    ['camq', ['events', '--nope'], "unknown option '--nope'", 'camq events'],
    ['camq', ['shell', '--nope'], "unknown option '--nope'", 'camq shell'],
    ['camq', ['demo', '--nope'], "unknown option '--nope'", 'camq demo'],
    ['camqadm', ['--nope'], "unknown option '--nope'", 'camqadm'],
    ['camqadm', ['--broker'], "option '-b, --broker <url>' argument missing", 'camqadm'],
  ] as const)('%s %j', async (program, args, message, command) => {
    const r = await run(program, [...args]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^Error: [^\n]*\n$/);
    expect(r.err).toContain(`Error: ${message}`);
    expect(r.err.endsWith(` (run '${command} --help' for usage)\n`)).toBe(true);
  });

  it('escapes control characters a user typed, so the error stays one line and sends no escape to the terminal', async () => {
    const r = await run('celeryctl', ['bo\u001b[2Jgus\nx']);
    expect(r.err).toBe("Error: unknown command 'bo\\x1b[2Jgus\\nx' (run 'celeryctl --help' for usage)\n");
  });

  it.each([
    ['celeryctl', ['--help']],
    ['celeryctl', ['rate-limit', '--help']],
    ['camq', ['-V']],
    ['camqadm', ['--help']],
  ] as const)('%s %j still prints to stdout and exits 0', async (program, args) => {
    const r = await run(program, [...args]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).not.toBe('');
  });
});
