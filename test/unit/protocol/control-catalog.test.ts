/** The control-command catalog is the one list: the worker, `inspect`, celeryctl and the reply views follow it. */
import { afterEach, describe, expect, it } from 'vitest';
import { createCeleryctlProgram } from '../../../src/cli/commands/ctl.js';
import { INSPECT_TARGETS } from '../../../src/control/inspect-target.js';
import { showsNodeCount, viewFor } from '../../../src/control/reply-text.js';
import { CONTROL_COMMANDS, cliName, findControlCommand } from '../../../src/protocol/control-catalog.js';
import { CamqApp, Worker } from '../../../src/worker/index.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

let worker: Worker | undefined;
afterEach(async () => {
  await worker?.stop('cold');
  worker = undefined;
});

describe('control catalog', () => {
  it('names each wire name and alias once', () => {
    const names = CONTROL_COMMANDS.flatMap((c) => [c.method, ...c.aliases]);
    expect(new Set(names).size).toBe(names.length);
    expect(findControlCommand('dump_tasks')?.method).toBe('registered');
    expect(findControlCommand('custom_echo')).toBeUndefined();
  });

  it('gives every argument a type, and optional ones a default', () => {
    for (const c of CONTROL_COMMANDS) {
      for (const a of c.args) expect(a.type, `${c.method}(${a.name})`).toBeDefined();
    }
    expect(findControlCommand('revoke')!.args).toEqual([
      { name: 'task_id', type: 'task-ids' },
      { name: 'terminate', type: 'boolean', default: false },
      { name: 'signal', type: 'signal', default: null },
    ]);
  });

  it('the worker answers every command and alias of the catalog, with its declared arguments', async () => {
    worker = new Worker({ app: new CamqApp(), broker: new FakeTransport(), hostname: 'w1@test', concurrency: 1, queues: ['q'] });
    for (const c of CONTROL_COMMANDS) {
      for (const name of [c.method, ...c.aliases]) expect(worker.panel.has(name), name).toBe(true);
    }
    expect(worker.panel.has('no_such_command')).toBe(false);
  });

  it('celeryctl has a sub-command for each control command with a CLI, and inspect a target for each inspect one', () => {
    const subcommands = createCeleryctlProgram().commands.map((c) => c.name());
    const inspectable = INSPECT_TARGETS.map((t) => t.method);
    for (const c of CONTROL_COMMANDS) {
      if (!c.cli) continue;
      if (c.kind === 'control') expect(subcommands, c.method).toContain(cliName(c.method));
      else expect(inspectable, c.method).toContain(c.method);
    }
    expect(INSPECT_TARGETS.find((t) => t.method === 'scheduled')?.aliases).toEqual(['dump-schedule']);
  });

  it('reply views and the node count follow the reply shape and kind', () => {
    expect(viewFor('dump_reserved')).toBe('tasks');
    expect(viewFor('active_queues')).toBe('queues');
    expect(viewFor('stats')).toBe('generic');
    expect(viewFor('custom_echo')).toBe('generic');
    expect(showsNodeCount('dump_conf')).toBe(true);
    expect(showsNodeCount('rate_limit')).toBe(false);
    expect(showsNodeCount('shutdown')).toBe(false);
  });
});
