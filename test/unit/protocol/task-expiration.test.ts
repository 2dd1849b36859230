import { describe, expect, it } from 'vitest';
import { buildRetryMessage, buildTaskMessage, decodeTaskMessage, invalidExpiration, MAX_EXPIRATION_MS } from '../../../src/protocol/index.js';

const NOW = Date.UTC(2026, 0, 1);

describe('the expiration property of task messages', () => {
  it('is the TTL in whole ms, which RabbitMQ takes', () => {
    const m = buildTaskMessage({ name: 't', expires: 60.0004, now: NOW });
    expect(m.properties.expiration).toBe('60000');
    expect(invalidExpiration(m.properties.expiration)).toBeUndefined();
  });

  it('is left out past RabbitMQ maximum (10 years), where it would close the channel; the expires header stays', () => {
    const m = buildTaskMessage({ name: 't', expires: 20 * 365 * 86_400, now: NOW });
    expect(m.properties.expiration).toBeUndefined();
    expect((m.properties.headers as Record<string, unknown>)['expires']).toBe('2045-12-27T00:00:00.000000+00:00');
    const atMax = buildTaskMessage({ name: 't', expires: MAX_EXPIRATION_MS / 1000, now: NOW });
    expect(atMax.properties.expiration).toBe(String(MAX_EXPIRATION_MS));
  });

  it('clamps an expires no date can hold to what Python can read (1e308 s was published as expiration "Infinity")', () => {
    const far = buildTaskMessage({ name: 't', expires: 1e308, now: NOW });
    expect((far.properties.headers as Record<string, unknown>)['expires']).toBe('9999-12-31T23:59:59.999000+00:00');
    expect(far.properties.expiration).toBeUndefined();
    const past = buildTaskMessage({ name: 't', expires: -1e308, now: NOW });
    expect((past.properties.headers as Record<string, unknown>)['expires']).toBe('0001-01-01T00:00:00.000000+00:00');
    expect(past.properties.expiration).toBe('0');
    expect(() => buildTaskMessage({ name: 't', expires: Number.NaN, now: NOW })).toThrow(/^expires NaN is not a number of seconds or a date$/);
  });

  it('a retry of a task that expires in 20 years carries no expiration either', () => {
    const sent = buildTaskMessage({ name: 't', expires: 20 * 365 * 86_400, now: NOW });
    const decoded = decodeTaskMessage({ ...sent, fields: { exchange: '', routingKey: 'celery', redelivered: false, deliveryTag: 1 } });
    if (!decoded.ok) throw new Error(decoded.error.message);
    const retry = buildRetryMessage(decoded.task, { etaMs: NOW + 1000, origin: 'w@h', now: NOW });
    expect(retry.properties.expiration).toBeUndefined();
  });

  it('invalidExpiration names what RabbitMQ would refuse', () => {
    expect(invalidExpiration('Infinity')).toBe('expiration "Infinity" is not a whole number of milliseconds');
    expect(invalidExpiration('315360000001')).toBe("expiration 315360000001 ms is above RabbitMQ's maximum (315360000000 ms, 10 years)");
    expect(invalidExpiration(undefined)).toBeUndefined();
  });
});
