import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, COMMANDS, findCommand, signature, usageLine } from '../../../src/shell/command-table.js';
import { parseCommand } from '../../../src/shell/parse-command.js';

describe('the command table', () => {
  it("has Celery's commands plus unbind, reject, nack, recover, help and exit", () => {
    expect([...COMMAND_NAMES].sort()).toEqual(
      [
        'basic.ack',
        'basic.get',
        'basic.nack',
        'basic.publish',
        'basic.recover',
        'basic.reject',
        'exchange.declare',
        'exchange.delete',
        'exit',
        'help',
        'queue.bind',
        'queue.declare',
        'queue.delete',
        'queue.purge',
        'queue.unbind',
      ].sort(),
    );
  });

  // The old camqadm's `help` lines (PROTOCOL.md §6.2), in Celery's argument order.
  it.each([
    ['exchange.declare', 'exchange type:direct passive:no durable:no auto_delete:no internal:no'],
    ['exchange.delete', 'exchange if_unused:no'],
    ['queue.declare', 'queue passive:no durable:no exclusive:no auto_delete:no'],
    ['queue.bind', "queue exchange routing_key:''"],
    ['queue.delete', 'queue if_unused:no if_empty:no'],
    ['queue.purge', 'queue'],
    ['basic.get', 'queue no_ack:no'],
    ['basic.publish', 'msg exchange routing_key mandatory:no immediate:no [property=value ...]'],
    ['basic.ack', 'delivery_tag multiple:no'],
    ['basic.reject', 'delivery_tag requeue:yes'],
    ['basic.nack', 'delivery_tag requeue:yes multiple:no'],
    ['basic.recover', ''],
  ])('%s takes %s', (name, expected) => {
    expect(signature(findCommand(name)!)).toBe(expected);
  });

  it('gives every command and argument a one-line help', () => {
    for (const spec of COMMANDS) {
      expect(spec.summary).not.toMatch(/\n/);
      for (const arg of spec.args) expect(arg.help.length).toBeGreaterThan(0);
    }
  });

  it('prints a usage line', () => {
    expect(usageLine(findCommand('queue.purge')!)).toBe('queue.purge queue');
    expect(usageLine(findCommand('exit')!)).toBe('exit');
  });
});

describe('parseCommand', () => {
  it('fills defaults for missing optional arguments', () => {
    const { spec, args } = parseCommand(['queue.declare', 'testqueue']);
    expect(spec.name).toBe('queue.declare');
    expect(args.values).toEqual({ queue: 'testqueue', passive: false, durable: false, exclusive: false, auto_delete: false });
  });

  it('coerces booleans and integers by position', () => {
    expect(parseCommand(['queue.delete', 'q', 'YES', 'off']).args.values).toEqual({ queue: 'q', if_unused: true, if_empty: false });
    expect(parseCommand(['basic.ack', '3']).args.int('delivery_tag')).toBe(3);
    expect(parseCommand(['exchange.declare', 'ex', 'topic', '0', '1']).args.values).toMatchObject({ type: 'topic', passive: false, durable: true });
  });

  it('refuses an unknown command and suggests the nearest name', () => {
    expect(() => parseCommand(['queue.delcare', 'x'])).toThrow("unknown command 'queue.delcare'; did you mean 'queue.declare'?");
    expect(() => parseCommand(['purge', 'x'])).toThrow(/did you mean 'queue.purge'/);
    expect(() => parseCommand(['queue_bind'])).toThrow(/did you mean 'queue.bind'/);
    expect(() => parseCommand(['frobnicate'])).toThrow("unknown command 'frobnicate'; 'help' lists the commands");
  });

  it('shows the usage line on a wrong argument count', () => {
    expect(() => parseCommand(['queue.bind', 'q'])).toThrow(
      "queue.bind takes 2 to 3 arguments, got 1; usage: queue.bind queue exchange routing_key:''",
    );
    expect(() => parseCommand(['queue.purge'])).toThrow('queue.purge takes 1 argument, got 0; usage: queue.purge queue');
    expect(() => parseCommand(['basic.recover', 'x'])).toThrow(/takes 0 arguments, got 1/);
    try {
      parseCommand(['queue.purge', 'a', 'b']);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'shell.arity', usage: 'queue.purge queue', exitCode: 1 });
    }
  });

  it('says what is wrong with a bad boolean or integer', () => {
    expect(() => parseCommand(['queue.declare', 'q', 'maybe'])).toThrow(
      "queue.declare: passive must be yes/no, true/false, on/off or 1/0, not 'maybe'",
    );
    expect(() => parseCommand(['basic.ack', 'one'])).toThrow("basic.ack: delivery_tag must be a whole number, not 'one'");
  });

  describe('basic.publish properties', () => {
    it('takes name=value words anywhere after the message', () => {
      const parsed = parseCommand([
        'basic.publish',
        '{"id": 1}',
        'content_type=application/json',
        '',
        'celery',
        'priority=5',
        'yes',
        'delivery_mode=persistent',
        'header.x-retry=3',
        'header.origin=cli',
        'headers={"a": [1, null]}',
        'correlation_id=abc',
        'reply_to=replies',
        'expiration=60000',
        'message_id=m1',
        'timestamp=1700000000',
        'type=t',
        'app_id=camq',
        'user_id=guest',
        'content_encoding=utf-8',
      ]);
      expect(parsed.args.values).toEqual({ msg: '{"id": 1}', exchange: '', routing_key: 'celery', mandatory: true, immediate: false });
      expect(parsed.properties).toEqual({
        content_type: 'application/json',
        content_encoding: 'utf-8',
        priority: 5,
        delivery_mode: 2,
        headers: { 'x-retry': 3, origin: 'cli', a: [1, null] },
        correlation_id: 'abc',
        reply_to: 'replies',
        expiration: '60000',
        message_id: 'm1',
        timestamp: 1700000000,
        type: 't',
        app_id: 'camq',
        user_id: 'guest',
      });
    });

    it('keeps the first word as the message even when it looks like a property', () => {
      const parsed = parseCommand(['basic.publish', 'priority=5', 'ex', 'rk']);
      expect(parsed.args.string('msg')).toBe('priority=5');
      expect(parsed.properties).toEqual({});
    });

    it('reads header values as JSON when they are JSON, else as text', () => {
      const parsed = parseCommand(['basic.publish', 'm', 'ex', 'rk', 'header.n=3', 'header.s="3"', 'header.b=true', 'header.t=hello world']);
      expect(parsed.properties?.headers).toEqual({ n: 3, s: '3', b: true, t: 'hello world' });
    });

    it('refuses bad property values with the property name', () => {
      expect(() => parseCommand(['basic.publish', 'm', 'ex', 'rk', 'priority=high'])).toThrow(
        "basic.publish: priority must be a whole number from 0 to 255, not 'high'",
      );
      expect(() => parseCommand(['basic.publish', 'm', 'ex', 'rk', 'priority=256'])).toThrow(/priority must be/);
      expect(() => parseCommand(['basic.publish', 'm', 'ex', 'rk', 'delivery_mode=3'])).toThrow(/delivery_mode must be 1 \(transient\) or 2/);
      expect(() => parseCommand(['basic.publish', 'm', 'ex', 'rk', 'expiration=1s'])).toThrow(/expiration must be a TTL in whole milliseconds/);
      expect(() => parseCommand(['basic.publish', 'm', 'ex', 'rk', 'headers=[1]'])).toThrow(/headers must be a JSON object/);
      expect(() => parseCommand(['basic.publish', 'm', 'ex', 'rk', 'headers={bad'])).toThrow(/headers must be a JSON object/);
    });

    it('does not count properties as positional arguments', () => {
      expect(() => parseCommand(['basic.publish', 'm', 'ex', 'priority=1'])).toThrow(/takes 3 to 5 arguments, got 2/);
    });
  });
});
