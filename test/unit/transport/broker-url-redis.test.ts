import { describe, expect, it } from 'vitest';
import { isRedisUrl, maskBrokerUrl, parseBrokerUrl } from '../../../src/transport/broker-url.js';
import { redisSettings } from '../../../src/redis/redis-settings.js';

describe('Redis broker URLs (kombu rules)', () => {
  it('reads redis:// with the database as the path, default port 6379 and database 0', () => {
    const url = parseBrokerUrl('redis://localhost');
    expect(url).toMatchObject({ protocol: 'redis', hostname: 'localhost', port: 6379, vhost: '0', username: '' });
    expect(url.password).toBe('');
    expect(isRedisUrl(url)).toBe(true);
    expect(url.masked).toBe('redis://localhost:6379/0');
    expect(parseBrokerUrl('redis://h:6380/').vhost).toBe('0');
    expect(parseBrokerUrl('redis://h:6380/11').vhost).toBe('11');
  });

  it('reads a password with or without a user, and never prints it', () => {
    const url = parseBrokerUrl('redis://:s3cret@h:6379/2');
    expect(url.password).toBe('s3cret');
    expect(url.username).toBe('');
    expect(url.masked).toBe('redis://:**@h:6379/2');
    expect(JSON.stringify(url)).not.toContain('s3cret');
    expect(parseBrokerUrl('rediss://app:pw@h/1')).toMatchObject({ protocol: 'rediss', username: 'app', masked: 'rediss://app:**@h:6379/1' });
    expect(maskBrokerUrl('redis://:pw@h:1/0')).toBe('redis://:**@h:1/0');
  });

  it('refuses a database that is not a number, and Sentinel, in one line', () => {
    expect(() => parseBrokerUrl('redis://h/abc')).toThrow(/invalid Redis database 'abc'/);
    expect(() => parseBrokerUrl('sentinel://h:26379')).toThrow(/no Sentinel/);
  });

  it("takes kombu's wire-changing transport options from the query", () => {
    expect(redisSettings(parseBrokerUrl('redis://h/3'))).toEqual({
      db: 3,
      keyPrefix: '',
      visibilityTimeoutS: 3600,
      fanoutPrefix: true,
      fanoutPatterns: true,
    });
    const s = redisSettings(parseBrokerUrl('redis://h/3?global_keyprefix=app:&visibility_timeout=5&fanout_patterns=false'));
    expect(s).toMatchObject({ keyPrefix: 'app:', visibilityTimeoutS: 5, fanoutPatterns: false });
    expect(() => redisSettings(parseBrokerUrl('redis://h/3?visibility_timeout=-1'))).toThrow(/visibility_timeout/);
  });
});
