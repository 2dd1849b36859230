import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BROKER_URL, isEmbeddedBrokerUrl, maskBrokerUrl, parseBrokerUrl, resolveBrokerUrl } from '../../../src/transport/broker-url.js';
import { UsageError } from '../../../src/errors/index.js';

describe('parseBrokerUrl', () => {
  it('reads the default URL with the default vhost written as //', () => {
    const url = parseBrokerUrl(DEFAULT_BROKER_URL);
    expect(url).toMatchObject({ protocol: 'amqp', hostname: 'localhost', port: 5672, username: 'guest', vhost: '/' });
    expect(url.password).toBe('guest');
    expect(url.masked).toBe('amqp://guest:**@localhost:5672//');
  });

  it.each([
    ['amqp://u:p@h:1234/', '/'],
    ['amqp://u:p@h:1234', '/'],
    ['amqp://u:p@h:1234//', '/'],
    ['amqp://u:p@h:1234/prod', 'prod'],
    ['amqp://u:p@h:1234/%2Fprod', '/prod'],
    ['amqp://u:p@h:1234//prod', '/prod'],
    ['amqp://u:p@h:1234/a%20b', 'a b'],
  ])('reads the vhost of %s as kombu does: %s', (text, vhost) => {
    expect(parseBrokerUrl(text).vhost).toBe(vhost);
  });

  it('defaults ports by scheme and accepts pyamqp://', () => {
    expect(parseBrokerUrl('amqps://u:p@h/').port).toBe(5671);
    expect(parseBrokerUrl('amqps://u:p@h/').protocol).toBe('amqps');
    expect(parseBrokerUrl('pyamqp://u:p@h/').protocol).toBe('amqp');
    expect(parseBrokerUrl('amqp://h').port).toBe(5672);
  });

  it('defaults the user to guest and decodes percent-encoded credentials', () => {
    expect(parseBrokerUrl('amqp://h:5672//')).toMatchObject({ username: 'guest' });
    const url = parseBrokerUrl('amqp://us%40er:p%3Ass%40word@h:5672//');
    expect(url.username).toBe('us@er');
    expect(url.password).toBe('p:ss@word');
  });

  it('reads IPv6 hosts and query parameters', () => {
    const url = parseBrokerUrl('amqp://u:p@[::1]:5673/v?heartbeat=10&connection_timeout=500');
    expect(url.hostname).toBe('::1');
    expect(url.port).toBe(5673);
    expect(url.query).toEqual({ heartbeat: '10', connection_timeout: '500' });
    expect(url.masked).toBe('amqp://u:**@[::1]:5673/v');
  });

  it('never exposes the password through JSON, inspect or string conversion', () => {
    const url = parseBrokerUrl('amqp://guest:s3cret@h:5672//');
    expect(JSON.stringify(url)).not.toContain('s3cret');
    expect(inspect(url)).not.toContain('s3cret');
    expect(String(url)).toBe('amqp://guest:**@h:5672//');
  });

  it('rejects other schemes and bad ports with one line that does not leak the password', () => {
    expect(() => parseBrokerUrl('sqs://u:topsecret@h:6379/0')).toThrow(UsageError);
    expect(() => parseBrokerUrl('sqs://u:topsecret@h:6379/0')).toThrow(/unsupported broker URL scheme 'sqs:\/\/' in 'sqs:\/\/u:\*\*@h:6379\/0'/);
    expect(() => parseBrokerUrl('amqp://u:topsecret@h:99999/')).toThrow(/invalid port '99999'/);
    expect(() => parseBrokerUrl('localhost:5672')).toThrow(/expected amqp:\/\//);
  });

  it('recognises the embedded broker', () => {
    expect(isEmbeddedBrokerUrl('embedded')).toBe(true);
    expect(isEmbeddedBrokerUrl('memory://')).toBe(true);
    expect(parseBrokerUrl('memory://').protocol).toBe('embedded');
    expect(isEmbeddedBrokerUrl('amqp://h//')).toBe(false);
  });
});

describe('maskBrokerUrl', () => {
  it('masks the password in any text, parseable or not', () => {
    expect(maskBrokerUrl('amqp://guest:guest@localhost:5672//')).toBe('amqp://guest:**@localhost:5672//');
    expect(maskBrokerUrl('failed: amqp://a:b@h1/ and amqps://c:d@h2:1/x')).toBe('failed: amqp://a:**@h1/ and amqps://c:**@h2:1/x');
    expect(maskBrokerUrl('amqp://nouser@h/')).toBe('amqp://nouser@h/');
  });
});

describe('resolveBrokerUrl', () => {
  it('prefers the flag, then CAMQ_BROKER_URL, then CELERY_BROKER_URL, then the default', () => {
    const env = { CAMQ_BROKER_URL: 'amqp://camq//', CELERY_BROKER_URL: 'amqp://celery//' };
    expect(resolveBrokerUrl('amqp://flag//', env)).toBe('amqp://flag//');
    expect(resolveBrokerUrl(undefined, env)).toBe('amqp://camq//');
    expect(resolveBrokerUrl(undefined, { CELERY_BROKER_URL: 'amqp://celery//' })).toBe('amqp://celery//');
    expect(resolveBrokerUrl(undefined, {})).toBe(DEFAULT_BROKER_URL);
    expect(resolveBrokerUrl('  ', { CAMQ_BROKER_URL: '' })).toBe(DEFAULT_BROKER_URL);
  });
});
