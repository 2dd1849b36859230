import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/errors/index.js';
import { formatMessage, formatNotice, formatOutcome, helpLines } from '../../../src/shell/format-text.js';
import { outcomeToJson } from '../../../src/shell/format-json.js';
import { MessageReturnedError } from '../../../src/shell/message-returned-error.js';
import { pformat, pyBytesRepr } from '../../../src/shell/pretty-print.js';
import { parseCommand } from '../../../src/shell/parse-command.js';
import type { CommandResult, FetchedMessage, ShellOutcome } from '../../../src/shell/shell-result.js';
import { BrokerConnectionError } from '../../../src/errors/index.js';

const DOCS_MESSAGE: FetchedMessage = {
  body: 'This is a message',
  body_encoding: 'utf-8',
  delivery_info: { delivery_tag: 1, exchange: 'testexchange', routing_key: 'testkey', redelivered: false, message_count: 0 },
  properties: {},
};

function outcome(words: string[], fields: Partial<ShellOutcome>): ShellOutcome {
  const parsed = parseCommand(words);
  return {
    number: 1,
    words,
    command: parsed.spec.name,
    args: parsed.args.values,
    properties: parsed.properties,
    ok: true,
    result: undefined,
    error: undefined,
    channelReopened: undefined,
    durationMs: 1,
    ...fields,
  };
}

const text = (o: ShellOutcome) => formatOutcome(o).map((l) => (l.label ? `${l.label} ${l.text}` : l.text));

describe('text results, as in the docs', () => {
  it.each<[CommandResult, string]>([
    [{ kind: 'ok' }, 'ok.'],
    [{ kind: 'queue-declared', queue: 'testqueue', message_count: 0, consumer_count: 0 }, 'ok. queue:testqueue messages:0 consumers:0.'],
    [{ kind: 'messages-deleted', message_count: 3 }, 'ok. 3 messages deleted.'],
    [{ kind: 'messages-deleted', message_count: 1 }, 'ok. 1 message deleted.'],
    [{ kind: 'no-message', queue: 'q' }, 'No messages in queue. basic.publish something.'],
  ])('%j → %s', (result, expected) => {
    const lines = formatOutcome(outcome(['queue.purge', 'q'], { result }));
    expect(lines).toEqual([expect.objectContaining({ stream: 'out', text: expected })]);
  });

  // The expected text is Python's pprint.pformat of the same dict (Celery's dump of basic.get).
  it("prints basic.get like Celery's pretty-printed dump", () => {
    expect(formatMessage(DOCS_MESSAGE)).toBe(
      [
        "{'body': 'This is a message',",
        " 'delivery_info': {'delivery_tag': 1,",
        "                   'exchange': 'testexchange',",
        "                   'message_count': 0,",
        "                   'redelivered': False,",
        "                   'routing_key': 'testkey'},",
        " 'properties': {}}",
      ].join('\n'),
    );
  });

  it('wraps nested properties the way pprint does', () => {
    const message: FetchedMessage = {
      body: 'hi',
      body_encoding: 'utf-8',
      delivery_info: { delivery_tag: 12, exchange: '', routing_key: 'q', redelivered: true, message_count: 3 },
      properties: { content_type: 'application/json', priority: 5, headers: { 'x-retry': 3, list: [1, 2, null], nested: { a: "it's" } } },
    };
    expect(formatMessage(message)).toBe(
      [
        "{'body': 'hi',",
        " 'delivery_info': {'delivery_tag': 12,",
        "                   'exchange': '',",
        "                   'message_count': 3,",
        "                   'redelivered': True,",
        "                   'routing_key': 'q'},",
        " 'properties': {'content_type': 'application/json',",
        "                'headers': {'list': [1, 2, None],",
        "                            'nested': {'a': \"it's\"},",
        "                            'x-retry': 3},",
        "                'priority': 5}}",
      ].join('\n'),
    );
  });

  it('shows a body that is not UTF-8 as Python bytes', () => {
    const body = Buffer.from([0x00, 0xff, 0x61, 0x62, 0x27, 0x63]);
    expect(pyBytesRepr(body)).toBe(`b"\\x00\\xffab'c"`);
    expect(formatMessage({ ...DOCS_MESSAGE, body: body.toString('base64'), body_encoding: 'base64' })).toContain(`{'body': b"\\x00\\xffab'c",`);
  });

  it('keeps short dicts on one line', () => {
    expect(pformat({ b: 1, a: [true, null] })).toBe("{'a': [True, None], 'b': 1}");
  });

  it('prints errors on stderr with the broker code and text, then the reopened channel', () => {
    const error = new BrokerError({ replyCode: 404, replyText: "NOT_FOUND - no queue 'x' in vhost '/'", isChannelError: true });
    const o = outcome(['queue.declare', 'x', 'yes'], {
      ok: false,
      error,
      channelReopened: { requeued: [{ delivery_tag: 1, queue: 'testqueue' }] },
    });
    expect(text(o)).toEqual([
      "Error: 404 NOT_FOUND - no queue 'x' in vhost '/'",
      "-> channel reopened; the unacked message with delivery tag 1 went back to queue 'testqueue' (new delivery tags start at 1).",
    ]);
    expect(formatOutcome(o).map((l) => l.stream)).toEqual(['err', 'err']);
  });

  it('says how several unacked messages went back', () => {
    const o = outcome(['basic.ack', '9'], {
      ok: false,
      error: new BrokerError({ replyCode: 406, replyText: 'PRECONDITION_FAILED - unknown delivery tag 9', isChannelError: true }),
      channelReopened: {
        requeued: [
          { delivery_tag: 1, queue: 'a' },
          { delivery_tag: 2, queue: 'b' },
        ],
      },
    });
    expect(text(o)[1]).toBe('-> channel reopened; 2 unacked messages (delivery tags 1, 2) went back to their queues (new delivery tags start at 1).');
  });
});

describe('notices', () => {
  const lost = new BrokerConnectionError('broker.lost', 'lost the connection to amqp://guest:**@h:5672//: x', 'amqp://guest:**@h:5672//', {
    cause: new BrokerError({ replyCode: 320, replyText: 'CONNECTION_FORCED - Closed via management plugin', isChannelError: false }),
  });

  it('says the connection was lost, what went back, and when it retries', () => {
    expect(formatNotice({ kind: 'connection-lost', error: lost, requeued: [{ delivery_tag: 1, queue: 'q' }], delayMs: 400 }).text).toBe(
      "-> connection lost (320 CONNECTION_FORCED - Closed via management plugin); the unacked message with delivery tag 1 went back to queue 'q' (new delivery tags start at 1); reconnecting in 0.4 s.",
    );
    expect(formatNotice({ kind: 'connection-lost', error: lost, requeued: [], delayMs: 200 }).text).toBe(
      '-> connection lost (320 CONNECTION_FORCED - Closed via management plugin); reconnecting in 0.2 s.',
    );
  });

  it('reports retries and the reconnect', () => {
    expect(formatNotice({ kind: 'reconnecting', attempt: 3, delayMs: 1600, error: lost }).text).toBe(
      '-> still no connection (320 CONNECTION_FORCED - Closed via management plugin); retrying in 1.6 s (attempt 3).',
    );
    expect(formatNotice({ kind: 'reconnected' })).toEqual({ stream: 'err', tone: 'ok', text: '-> connected.' });
  });

  it('reports a stray basic.return', () => {
    const returned = { reply_code: 312, reply_text: 'NO_ROUTE', exchange: 'ex', routing_key: 'rk' };
    expect(formatNotice({ kind: 'message-returned', returned }).text).toBe(
      "-> 312 NO_ROUTE - the broker returned the message: no queue is bound to exchange 'ex' for routing key 'rk'",
    );
  });
});

describe('help', () => {
  it("lists the commands with Celery's signatures and the example", () => {
    const lines = helpLines();
    expect(lines.slice(0, 2)).toEqual(['Commands', '--------']);
    expect(lines).toContain('exchange.declare  exchange type:direct passive:no durable:no auto_delete:no internal:no');
    expect(lines).toContain('queue.purge       queue');
    expect(lines).toContain('basic.recover');
    expect(lines.at(-1)).toBe('    -> queue.delete myqueue yes no');
  });

  it('documents basic.publish properties and examples', () => {
    const lines = helpLines('basic.publish').join('\n');
    expect(lines).toContain('usage: basic.publish msg exchange routing_key mandatory:no immediate:no [property=value ...]');
    expect(lines).toMatch(/ {2}content_type=MIME +e\.g\. application\/json/);
    expect(lines).toMatch(/ {2}header\.NAME=VALUE +one header/);
    expect(lines).toMatch(/ {2}delivery_mode=1\|2 +1 or transient, 2 or persistent/);
    expect(lines).toContain('    -> basic.publish "This is a message" testexchange testkey');
  });
});

describe('JSON results', () => {
  it('has the command, its coerced arguments and the result', () => {
    const json = outcomeToJson(
      outcome(['queue.declare', 'testqueue'], {
        number: 2,
        result: { kind: 'queue-declared', queue: 'testqueue', message_count: 0, consumer_count: 0 },
      }),
    );
    expect(json).toEqual({
      n: 2,
      command: 'queue.declare',
      args: { queue: 'testqueue', passive: false, durable: false, exclusive: false, auto_delete: false },
      ok: true,
      result: { kind: 'queue-declared', queue: 'testqueue', message_count: 0, consumer_count: 0 },
    });
  });

  it('has the message of basic.get as Celery names its fields', () => {
    const json = outcomeToJson(outcome(['basic.get', 'testqueue'], { result: { kind: 'message', message: DOCS_MESSAGE } }));
    expect(JSON.parse(JSON.stringify(json))).toMatchObject({
      result: { kind: 'message', message: { body: 'This is a message', delivery_info: { delivery_tag: 1, routing_key: 'testkey' }, properties: {} } },
    });
  });

  it('has errors with their code, reply code and usage, and the reopened channel', () => {
    const error = new BrokerError({ replyCode: 404, replyText: "NOT_FOUND - no queue 'x' in vhost '/'", isChannelError: true });
    expect(outcomeToJson(outcome(['queue.declare', 'x', 'yes'], { ok: false, error, channelReopened: { requeued: [] } }))).toMatchObject({
      ok: false,
      error: { code: 'broker.not-found', message: "404 NOT_FOUND - no queue 'x' in vhost '/'", reply_code: 404 },
      channel_reopened: { requeued: [] },
    });
    let usageError: unknown;
    try {
      parseCommand(['queue.purge']);
    } catch (err) {
      usageError = err;
    }
    expect(outcomeToJson({ ...outcome(['queue.purge', 'q'], {}), ok: false, error: usageError as never })).toMatchObject({
      error: { code: 'shell.arity', usage: 'queue.purge queue' },
    });
  });

  it('has the returned message of a mandatory publish', () => {
    const returned = { reply_code: 312, reply_text: 'NO_ROUTE', exchange: 'ex', routing_key: 'rk' };
    const o = outcome(['basic.publish', 'm', 'ex', 'rk', 'yes', 'priority=1'], { ok: false, error: new MessageReturnedError(returned) });
    expect(outcomeToJson(o)).toMatchObject({ properties: { priority: 1 }, error: { code: 'shell.message-returned', returned } });
  });

  it('lists the commands for help', () => {
    const json = outcomeToJson(outcome(['help', 'queue.purge'], { result: { kind: 'help', command: 'queue.purge' } }));
    expect(json['result']).toEqual({
      kind: 'help',
      commands: [
        {
          name: 'queue.purge',
          usage: 'queue.purge queue',
          summary: 'remove every ready message from a queue',
          args: [{ name: 'queue', type: 'string', help: 'the queue' }],
        },
      ],
    });
  });
});
