import { describe, expect, it, vi } from 'vitest';
import { CONTROL_ACTIONS, controlActionName, isControlAction, isShellAction, SHELL_ACTIONS } from '../../../src/audit/action-catalog.js';
import { ActionPolicy, readOnlyMessage } from '../../../src/audit/action-policy.js';
import { CollectingActionSink } from '../../../src/audit/action-record.js';
import { ControlClient } from '../../../src/control/control-client.js';
import { revokeCommand } from '../../../src/control/control-command.js';
import { UsageError } from '../../../src/errors/index.js';
import { buildControlReply, type ControlRequestBody } from '../../../src/protocol/control-message.js';
import { CONTROL_COMMANDS } from '../../../src/protocol/control-catalog.js';
import { COMMANDS } from '../../../src/shell/command-table.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { FakeTransport } from '../../fakes/fake-transport.js';

describe('the action catalogue', () => {
  it('classifies every remote-control command of the catalog, and only those', () => {
    expect(Object.keys(CONTROL_ACTIONS).sort()).toEqual(CONTROL_COMMANDS.map((c) => c.method).sort());
  });

  it('makes every command that changes workers an action, and every inspect target a read', () => {
    for (const spec of CONTROL_COMMANDS) {
      if (spec.kind === 'inspect') expect(isControlAction(spec.method), spec.method).toBe(false);
      else if (spec.method !== 'heartbeat') expect(isControlAction(spec.method), spec.method).toBe(true);
    }
    for (const method of [
      'revoke',
      'terminate',
      'rate_limit',
      'time_limit',
      'shutdown',
      'pool_grow',
      'pool_shrink',
      'add_consumer',
      'cancel_consumer',
    ]) {
      expect(isControlAction(method), method).toBe(true);
    }
    expect(isControlAction('ping')).toBe(false);
    expect(isControlAction('dump_tasks')).toBe(false); // an alias of registered
    expect(controlActionName('dump_reserved')).toBe('reserved');
  });

  it('counts a command camq does not know as an action (it cannot tell what a worker’s own command does)', () => {
    expect(isControlAction('my_custom_command')).toBe(true);
    expect(controlActionName('my_custom_command')).toBe('control.my_custom_command');
  });

  it('classifies every camqadm command; declares, deletes, binds, purges, publishes and acks are actions', () => {
    expect(Object.keys(SHELL_ACTIONS).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    const mutating = COMMANDS.map((c) => c.name).filter((name) => isShellAction(name));
    expect(mutating.sort()).toEqual(
      [
        'basic.ack',
        'basic.nack',
        'basic.publish',
        'basic.recover',
        'basic.reject',
        'exchange.declare',
        'exchange.delete',
        'queue.bind',
        'queue.declare',
        'queue.delete',
        'queue.purge',
        'queue.unbind',
      ].sort(),
    );
  });
});

describe('ActionPolicy', () => {
  it('refuses with one line naming the flag, exit 1', () => {
    const policy = new ActionPolicy({ readOnly: true });
    expect(() => policy.check('revoke')).toThrow(UsageError);
    try {
      policy.check('revoke');
    } catch (err) {
      expect((err as UsageError).code).toBe('usage.read-only');
      expect((err as UsageError).exitCode).toBe(1);
      expect((err as UsageError).message).toBe(readOnlyMessage('revoke'));
      expect((err as UsageError).message).toContain('--read-only');
    }
  });

  it('records an action with who, what, target, args, when and the outcome, failures too', async () => {
    const sink = new CollectingActionSink();
    const policy = new ActionPolicy({ sink, who: 'ann@ops1', now: () => 42 });
    await policy.run(
      { what: 'queue.purge', target: 'q', args: { all: true } },
      async () => ({ n: 3 }),
      (r) => ({ ok: true, result: { removed: r.n } }),
    );
    await expect(policy.run({ what: 'queue.move', target: 'a -> b', args: {} }, () => Promise.reject(new UsageError('no')))).rejects.toThrow('no');
    expect(sink.records).toEqual([
      { who: 'ann@ops1', what: 'queue.purge', target: 'q', args: { all: true }, when: 42, outcome: { ok: true, result: { removed: 3 } } },
      { who: 'ann@ops1', what: 'queue.move', target: 'a -> b', args: {}, when: 42, outcome: { ok: false, error: 'no', code: 'usage.bad-argument' } },
    ]);
  });

  it('names the user and host by default', () => {
    expect(new ActionPolicy().who).toMatch(/^.+@.+$/);
  });
});

describe('ControlClient with an action policy', () => {
  function setup(policy: ActionPolicy) {
    const transport = new FakeTransport();
    transport.isOpen = true;
    const clock = new ManualClock();
    const client = new ControlClient({ connection: transport, clock, oid: 'oid-1', actions: policy });
    return { transport, clock, client };
  }

  it('refuses revoke when read-only before anything is sent, and still pings', async () => {
    const { transport, clock, client } = setup(new ActionPolicy({ readOnly: true }));
    await expect(client.revoke('t1')).rejects.toMatchObject({ code: 'usage.read-only' });
    await expect(client.shutdown()).rejects.toMatchObject({ code: 'usage.read-only' });
    expect(transport.published).toHaveLength(0);
    const ping = client.ping({ timeout: 1 });
    await vi.waitFor(() => expect(transport.published).toHaveLength(1));
    clock.advance(1000);
    await expect(ping).resolves.toMatchObject({ method: 'ping' });
  });

  it('hands each mutating broadcast to the sink with the replies, and no read', async () => {
    const sink = new CollectingActionSink();
    const { transport, clock, client } = setup(new ActionPolicy({ sink, who: 'ann@ops1', now: () => 7 }));
    const call = client.broadcast(revokeCommand(['t1', 't2']), { timeout: 1 });
    await vi.waitFor(() => expect(transport.published).toHaveLength(1));
    const request = transport.published[0]! as unknown as { body: ControlRequestBody };
    const reply = buildControlReply({
      nodename: 'w1@h',
      value: { ok: 'tasks t1, t2 flagged as revoked' },
      replyTo: request.body.reply_to!,
      ticket: request.body.ticket,
      clock: 1,
    });
    transport.consumerOf('oid-1.reply.celery.pidbox').deliver('oid-1.reply.celery.pidbox', reply);
    clock.advance(1000);
    await call;
    const ping = client.ping({ timeout: 1 });
    await vi.waitFor(() => expect(transport.published).toHaveLength(2));
    clock.advance(1000);
    await ping;
    expect(sink.records).toEqual([
      {
        who: 'ann@ops1',
        what: 'revoke',
        target: 't1,t2',
        args: { task_id: ['t1', 't2'], terminate: false, signal: 'SIGTERM' },
        when: 7,
        outcome: { ok: true, replies: { 'w1@h': { ok: 'tasks t1, t2 flagged as revoked' } }, result: { missing: [] } },
      },
    ]);
  });
});
