import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManagementApi } from '../../../src/queues/management-api.js';
import { liveMailboxes, liveNodenames, pidboxBindingsPath, queueConsumersPath } from '../../../src/queues/live-mailboxes.js';

const captured = JSON.parse(
  readFileSync(new URL('../../fixtures/management-api/rabbitmq-3.10-pidbox-bindings.json', import.meta.url), 'utf8'),
) as unknown;
const binding = (destination: string, type = 'queue') => ({
  source: 'celery.pidbox',
  vhost: '/',
  destination,
  destination_type: type,
  routing_key: '',
});

describe('liveNodenames', () => {
  it('reads RabbitMQ 3.10’s answer: a bound mailbox with a consumer is a live worker', () => {
    expect(liveNodenames(captured, [{ name: 'probe1@h.celery.pidbox', consumers: 1 }])).toEqual(['probe1@h']);
  });

  it('leaves out a mailbox without a consumer, one whose queue is gone, and bindings that are not mailboxes', () => {
    const bindings = [
      binding('w2@h.celery.pidbox'),
      binding('w1@h.celery.pidbox'),
      binding('idle@h.celery.pidbox'),
      binding('gone@h.celery.pidbox'),
      binding('celery'),
      binding('x.celery.pidbox', 'exchange'),
      binding('.celery.pidbox'),
      { destination: 42 },
      null,
    ];
    const queues = [
      { name: 'w1@h.celery.pidbox', consumers: 1 },
      { name: 'w2@h.celery.pidbox', consumers: 2 },
      { name: 'idle@h.celery.pidbox', consumers: 0 },
      { name: 'celery', consumers: 3 },
      { name: 'x.celery.pidbox', consumers: 1 },
      { name: '.celery.pidbox', consumers: 1 },
    ];
    expect(liveNodenames(bindings, queues)).toEqual(['w1@h', 'w2@h']);
  });

  it('an answer of another shape gives nobody, not a crash', () => {
    expect(liveNodenames({ error: 'x' }, 'nope')).toEqual([]);
  });
});

describe('liveMailboxes', () => {
  it('asks the two paths, vhost encoded, and joins the answers', async () => {
    const asked: string[] = [];
    const fetch = (async (url: string) => {
      asked.push(url);
      const body = url.includes('/bindings/source') ? [binding('w1@h.celery.pidbox')] : [{ name: 'w1@h.celery.pidbox', consumers: 1 }];
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof globalThis.fetch;
    const api = new ManagementApi({ baseUrl: 'http://mq:15672', username: 'u', password: 'p', fetch });
    expect(await liveMailboxes(api, '/')).toEqual(['w1@h']);
    expect(asked.sort()).toEqual([
      'http://mq:15672/api/exchanges/%2F/celery.pidbox/bindings/source',
      'http://mq:15672/api/queues/%2F?columns=name,consumers',
    ]);
    expect(pidboxBindingsPath('a b')).toBe('exchanges/a%20b/celery.pidbox/bindings/source');
    expect(queueConsumersPath('h6')).toBe('queues/h6?columns=name,consumers');
  });
});
