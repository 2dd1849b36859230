import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { createCamqProgram } from '../../../src/cli/program.js';
import { captureIO } from '../../helpers/capture-io.js';

describe('camq (the umbrella program)', () => {
  it('lists every subcommand in its help', async () => {
    const { io, out } = captureIO();
    expect(await runCli(createCamqProgram(io), ['node', 'camq', '--help'], io)).toBe(0);
    for (const name of ['shell|adm', 'ctl', 'events', 'worker', 'broker', 'demo']) expect(out()).toContain(name);
  });

  it('answers a mistyped subcommand with the nearest one and exit 1, without opening the live view', async () => {
    const { io, err } = captureIO();
    expect(await runCli(createCamqProgram(io), ['node', 'camq', 'wroker'], io)).toBe(1);
    expect(err()).toBe("Error: unknown command 'wroker'; did you mean 'worker'? (run 'camq --help' for usage)\n");
  });

  it('names an unknown subcommand that is no typo without guessing', async () => {
    const { io, err } = captureIO();
    expect(await runCli(createCamqProgram(io), ['node', 'camq', 'frobnicate'], io)).toBe(1);
    expect(err()).toBe("Error: unknown command 'frobnicate' (run 'camq --help' for usage)\n");
  });

  it.each(['record', 'history', 'beat', 'call'])('%s takes -b and --failover in its own help, as ctl and queues do', async (name) => {
    const { io, out } = captureIO();
    expect(await runCli(createCamqProgram(io), ['node', 'camq', name, '--help'], io)).toBe(0);
    expect(out()).toContain('--failover <strategy>');
    expect(out()).toContain('-b, --broker <url>');
  });

  it('history refuses an unknown --failover strategy with one line, as the connecting commands do', async () => {
    const { io, err } = captureIO();
    expect(await runCli(createCamqProgram(io), ['node', 'camq', 'history', '--failover', 'bogus', '--journal', '/nonexistent-h9'], io)).toBe(1);
    expect(err()).toContain("unknown failover strategy 'bogus': use round-robin or shuffle");
  });
});
