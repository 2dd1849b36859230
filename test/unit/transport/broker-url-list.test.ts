import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { maskedList, nodesOf, parseBrokerUrl, parseFailoverStrategy } from '../../../src/transport/broker-url.js';
import { brokerIdentity } from '../../../src/transport/broker-identity.js';
import { failoverOrder } from '../../../src/amqp/broker-connection.js';
import { UsageError } from '../../../src/errors/index.js';

const LIST = 'amqp://u:secret1@h1:5681//;amqp://v:secret2@h2:5682/prod; amqp://h3//';

describe('parseBrokerUrl on a kombu URL list', () => {
  it('reads every URL of a ;-separated list, the first as the URL and the others as alternates', () => {
    const url = parseBrokerUrl(LIST);
    expect(url).toMatchObject({ hostname: 'h1', port: 5681, username: 'u', vhost: '/' });
    expect(url.password).toBe('secret1');
    expect(url.failover).toBe('round-robin');
    const nodes = nodesOf(url);
    expect(nodes.map((n) => [n.hostname, n.port, n.username, n.vhost])).toEqual([
      ['h1', 5681, 'u', '/'],
      ['h2', 5682, 'v', 'prod'],
      ['h3', 5672, 'guest', '/'],
    ]);
    expect(nodes.map((n) => n.password)).toEqual(['secret1', 'secret2', 'guest']);
  });

  it('lets a URL without user info log in as guest, as kombu does, instead of borrowing the first one', () => {
    const nodes = nodesOf(parseBrokerUrl('amqp://admin:pw@h1//;amqp://h2//'));
    expect(nodes[1]).toMatchObject({ username: 'guest' });
    expect(nodes[1]!.password).toBe('guest');
  });

  it('masks every password of the list in every printed form', () => {
    const url = parseBrokerUrl(LIST, { failover: 'shuffle' });
    const printed = [maskedList(url), JSON.stringify(url), inspect(url, { showHidden: false }), String(url), url.masked];
    for (const text of printed) {
      expect(text).not.toContain('secret1');
      expect(text).not.toContain('secret2');
    }
    expect(maskedList(url)).toBe('amqp://u:**@h1:5681//;amqp://v:**@h2:5682/prod;amqp://guest:**@h3:5672//');
    expect(url.failover).toBe('shuffle');
  });

  it('ignores empty items, so a trailing ; is one URL', () => {
    const url = parseBrokerUrl('amqp://h1//;');
    expect(url.alternates).toEqual([]);
    expect(url.hostname).toBe('h1');
  });

  it('names the bad URL of a list by its masked text', () => {
    expect(() => parseBrokerUrl('amqp://u:pw@h1//;amqp://u:pw@h2:99999//')).toThrow(
      /invalid port '99999' in broker URL 'amqp:\/\/u:\*\*@h2:99999\/\/'/,
    );
    expect(() => parseBrokerUrl('amqp://h1//;redis://h2//')).toThrow(UsageError);
    expect(() => parseBrokerUrl('amqp://h1//;embedded')).toThrow(/embedded broker cannot be part of a URL list/);
  });

  it('one URL has no alternates', () => {
    expect(nodesOf(parseBrokerUrl('amqp://h1//'))).toHaveLength(1);
  });
});

describe('parseFailoverStrategy', () => {
  it('takes kombu names, defaults to round-robin, and refuses others with a usage error', () => {
    expect(parseFailoverStrategy(undefined)).toBe('round-robin');
    expect(parseFailoverStrategy('')).toBe('round-robin');
    expect(parseFailoverStrategy('Shuffle')).toBe('shuffle');
    expect(() => parseFailoverStrategy('random')).toThrow(/unknown failover strategy 'random': use round-robin or shuffle/);
  });
});

describe('failoverOrder', () => {
  it('round-robin: the list in order on a first connect, from the node after the lost one after a loss', () => {
    expect(failoverOrder(3, 0, 'round-robin', false)).toEqual([0, 1, 2]);
    expect(failoverOrder(3, 0, 'round-robin', true)).toEqual([1, 2, 0]);
    expect(failoverOrder(3, 2, 'round-robin', true)).toEqual([0, 1, 2]);
  });

  it('shuffle: every node once, in a random order, the lost node last', () => {
    let seed = 0.1;
    const random = () => (seed = (seed * 9301 + 0.49297) % 1);
    for (let i = 0; i < 20; i++) {
      const first = failoverOrder(4, 0, 'shuffle', false, random);
      expect([...first].sort()).toEqual([0, 1, 2, 3]);
      const after = failoverOrder(4, 2, 'shuffle', true, random);
      expect(after.at(-1)).toBe(2);
      expect([...after].sort()).toEqual([0, 1, 2, 3]);
    }
    const firsts = new Set(Array.from({ length: 40 }, () => failoverOrder(4, 0, 'shuffle', false, random)[0]));
    expect(firsts.size).toBeGreaterThan(1);
  });
});

describe('brokerIdentity', () => {
  it('names the cluster by its announced cluster_name, whichever URL of the list was used', () => {
    const a = brokerIdentity(parseBrokerUrl(LIST), { cluster_name: 'rabbit@prod-1', product: 'RabbitMQ' });
    const b = brokerIdentity(parseBrokerUrl('amqp://h2:5682//'), { cluster_name: Buffer.from('rabbit@prod-1') });
    expect(a).toMatchObject({ cluster: 'rabbit@prod-1', from: 'cluster_name', vhost: '/', key: 'rabbit@prod-1/' });
    expect(b.key).toBe(a.key);
    expect(a.nodes).toHaveLength(3);
    expect(a.nodes.join(' ')).not.toContain('secret');
  });

  it('falls back to the first host without server properties, and keeps the vhost in the key', () => {
    expect(brokerIdentity(parseBrokerUrl('amqp://u:p@h1:5681/prod;amqp://h2//'))).toMatchObject({
      cluster: 'h1:5681',
      from: 'first-host',
      key: 'h1:5681/prod',
    });
    expect(brokerIdentity(parseBrokerUrl('amqp://[::1]:5672//'), { cluster_name: '' }).cluster).toBe('[::1]:5672');
  });
});
