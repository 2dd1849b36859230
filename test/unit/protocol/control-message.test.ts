import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../../src/protocol/amqp-message.js';
import {
  buildControlReply,
  buildControlRequest,
  decodeControlReply,
  decodeControlRequest,
  globToRegExp,
  matchesDestination,
} from '../../../src/protocol/control-message.js';

const asIncoming = (msg: { content: Buffer; properties: object; exchange: string; routingKey: string }): IncomingMessage => ({
  content: msg.content,
  properties: msg.properties,
  fields: { exchange: msg.exchange, routingKey: msg.routingKey, redelivered: false, deliveryTag: 1 },
});

describe('pidbox requests (PROTOCOL.md §3.2, §3.7)', () => {
  it('builds a ping like app.control.inspect().ping()', () => {
    const msg = buildControlRequest({ method: 'ping', replyRoutingKey: 'oid-1', ticket: 'a23e0a4d', timeoutSeconds: 1, now: 1795287769_102.6301 });
    expect([msg.exchange, msg.routingKey]).toEqual(['celery.pidbox', '']);
    expect(JSON.parse(msg.content.toString())).toEqual({
      method: 'ping',
      arguments: {},
      destination: null,
      pattern: null,
      matcher: null,
      ticket: 'a23e0a4d',
      reply_to: { exchange: 'reply.celery.pidbox', routing_key: 'oid-1' },
    });
    expect(msg.properties).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, priority: 0 });
    expect(msg.properties.headers).toEqual({ clock: 1, expires: 1795287770.1026301 });
    expect(msg.ticket).toBe('a23e0a4d');
  });

  it('builds a cast with no ticket and no reply_to', () => {
    const msg = buildControlRequest({ method: 'heartbeat' });
    const body = JSON.parse(msg.content.toString());
    expect(body).not.toHaveProperty('ticket');
    expect(body).not.toHaveProperty('reply_to');
    expect(msg.ticket).toBeUndefined();
    expect(msg.properties.headers).toEqual({ clock: 1, expires: 0 });
  });

  it('round-trips a targeted request through the worker-side decoder', () => {
    const msg = buildControlRequest({
      method: 'rate_limit',
      arguments: { task_name: 'tasks.add', rate_limit: '10/m' },
      destination: ['w1@vm'],
      replyRoutingKey: 'oid',
      clock: 7,
    });
    const decoded = decodeControlRequest(asIncoming(msg));
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.request).toMatchObject({
        method: 'rate_limit',
        arguments: { task_name: 'tasks.add', rate_limit: '10/m' },
        destination: ['w1@vm'],
        clock: 7,
        ticket: msg.ticket,
        reply_to: { exchange: 'reply.celery.pidbox', routing_key: 'oid' },
      });
    }
  });

  it('refuses bodies that are not requests', () => {
    for (const body of ['nope', '[]', '{"arguments": {}}']) {
      const decoded = decodeControlRequest(asIncoming({ content: Buffer.from(body), properties: {}, exchange: 'celery.pidbox', routingKey: '' }));
      expect(decoded.ok).toBe(false);
    }
  });
});

describe('matchesDestination (PROTOCOL.md §3.3)', () => {
  it('is an exact membership test for a destination list', () => {
    expect(matchesDestination({ destination: ['w1@vm'], pattern: null, matcher: null }, 'w1@vm')).toBe(true);
    expect(matchesDestination({ destination: ['w1@vm'], pattern: null, matcher: null }, 'w1@vm2')).toBe(false);
    expect(matchesDestination({ destination: ['nobody@nowhere'], pattern: null, matcher: null }, 'w1@vm')).toBe(false);
  });

  it('matches globs like fnmatch and pcre anchored at the start like re.match', () => {
    expect(matchesDestination({ destination: null, pattern: 'w1@*', matcher: 'glob' }, 'w1@vm')).toBe(true);
    expect(matchesDestination({ destination: null, pattern: 'w1@*', matcher: 'glob' }, 'xw1@vm')).toBe(false);
    expect(matchesDestination({ destination: null, pattern: '^w1@', matcher: 'pcre' }, 'w1@vm')).toBe(true);
    expect(matchesDestination({ destination: null, pattern: 'w', matcher: 'pcre' }, 'w2@vm')).toBe(true);
    expect(matchesDestination({ destination: null, pattern: 'vm', matcher: 'pcre' }, 'w2@vm')).toBe(false);
    expect(matchesDestination({ destination: null, pattern: '(', matcher: 'pcre' }, 'w2@vm')).toBe(false);
  });

  it('runs everywhere without destination or pattern', () => {
    expect(matchesDestination({ destination: null, pattern: null, matcher: null }, 'any@host')).toBe(true);
    expect(matchesDestination({ destination: [], pattern: 'w*', matcher: null }, 'any@host')).toBe(true);
  });

  it('translates glob sets', () => {
    expect(globToRegExp('w[12]@vm').test('w2@vm')).toBe(true);
    expect(globToRegExp('w[!12]@vm').test('w2@vm')).toBe(false);
    expect(globToRegExp('w?.x').test('w1.x')).toBe(true);
    expect(globToRegExp('w?.x').test('w1-x')).toBe(false);
  });
});

describe('pidbox replies (PROTOCOL.md §3.4)', () => {
  it('builds and reads a reply', () => {
    const msg = buildControlReply({
      nodename: 'w1@vm',
      value: { ok: 'pong' },
      replyTo: { exchange: 'reply.celery.pidbox', routing_key: 'oid' },
      ticket: 't1',
      clock: 3,
    });
    expect([msg.exchange, msg.routingKey]).toEqual(['reply.celery.pidbox', 'oid']);
    expect(msg.properties).toMatchObject({ deliveryMode: 1, headers: { ticket: 't1', clock: 3 } });
    expect(decodeControlReply(asIncoming(msg))).toEqual({ nodename: 'w1@vm', value: { ok: 'pong' }, ticket: 't1', clock: 3 });
  });

  it('turns an undefined value into null, as Python sends None', () => {
    const msg = buildControlReply({ nodename: 'w1@vm', value: undefined, replyTo: { exchange: 'x', routing_key: 'k' }, ticket: undefined, clock: 1 });
    expect(JSON.parse(msg.content.toString())).toEqual({ 'w1@vm': null });
    expect(decodeControlReply(asIncoming(msg))?.ticket).toBeUndefined();
  });

  it('ignores replies that are not one-key objects', () => {
    for (const body of ['[]', '{}', '{"a":1,"b":2}', 'x']) {
      expect(decodeControlReply(asIncoming({ content: Buffer.from(body), properties: {}, exchange: '', routingKey: '' }))).toBeUndefined();
    }
  });
});
