import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../../src/cli/cli-io.js';
import { runCli } from '../../../src/cli/main.js';
import { createCamqProgram } from '../../../src/cli/program.js';

function io(): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1' }, out: () => out, err: () => err };
}

describe('camq (the umbrella program)', () => {
  it('lists every subcommand in its help', async () => {
    const cli = io();
    expect(await runCli(createCamqProgram(cli), ['node', 'camq', '--help'], cli)).toBe(0);
    for (const name of ['shell|adm', 'ctl', 'events', 'worker', 'broker', 'demo']) expect(cli.out()).toContain(name);
  });

  it('answers a mistyped subcommand with the nearest one and exit 1, without opening the live view', async () => {
    const cli = io();
    expect(await runCli(createCamqProgram(cli), ['node', 'camq', 'wroker'], cli)).toBe(1);
    expect(cli.err()).toBe("Error: unknown command 'wroker'; did you mean 'worker'? (run 'camq --help' for usage)\n");
  });

  it('names an unknown subcommand that is no typo without guessing', async () => {
    const cli = io();
    expect(await runCli(createCamqProgram(cli), ['node', 'camq', 'frobnicate'], cli)).toBe(1);
    expect(cli.err()).toBe("Error: unknown command 'frobnicate' (run 'camq --help' for usage)\n");
  });
});
