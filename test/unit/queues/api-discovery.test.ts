import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { amqpListenerPorts, candidateUrls, parseApiUrl } from '../../../src/queues/index.js';
import { parseBrokerUrl } from '../../../src/transport/index.js';

describe('candidateUrls', () => {
  it('looks on 15672, then on the AMQP port + 10000 (15673 for the embedded broker on 5673)', () => {
    expect(candidateUrls(parseBrokerUrl('amqp://guest:guest@rabbit.example:5672/h3'))).toEqual(['http://rabbit.example:15672']);
    expect(candidateUrls(parseBrokerUrl('amqp://127.0.0.1:5673//'))).toEqual(['http://127.0.0.1:15672', 'http://127.0.0.1:15673']);
    expect(candidateUrls(parseBrokerUrl('amqp://[::1]:5680//'))).toEqual(['http://[::1]:15672', 'http://[::1]:15680']);
    expect(candidateUrls(parseBrokerUrl('amqp://h:60000//'))).toEqual(['http://h:15672']);
  });

  it('looks over HTTPS on 15671 for amqps://', () => {
    expect(candidateUrls(parseBrokerUrl('amqps://u:p@rabbit.example/v'))).toEqual(['https://rabbit.example:15671']);
    expect(candidateUrls(parseBrokerUrl('amqps://u:p@rabbit.example:5674/v'))).toEqual([
      'https://rabbit.example:15671',
      'https://rabbit.example:15674',
    ]);
  });
});

describe('amqpListenerPorts', () => {
  it("reads the AMQP listeners of RabbitMQ 3.10's /api/overview (captured), not clustering or http", () => {
    const overview: unknown = JSON.parse(readFileSync(new URL('../../fixtures/management-api/rabbitmq-3.10-overview.json', import.meta.url), 'utf8'));
    expect(amqpListenerPorts(overview)).toEqual([5672]);
  });

  it('takes amqp/ssl listeners and string ports; nothing from an answer without listeners', () => {
    expect(
      amqpListenerPorts({
        listeners: [{ protocol: 'amqp/ssl', port: '5671' }, { protocol: 'amqp', port: 5672 }, { protocol: 'http', port: 15672 }, null],
      }),
    ).toEqual([5671, 5672]);
    expect(amqpListenerPorts({})).toEqual([]);
    expect(amqpListenerPorts(null)).toEqual([]);
  });
});

describe('parseApiUrl', () => {
  it('drops a trailing /api and keeps a path prefix (a proxy)', () => {
    expect(parseApiUrl('http://h:15672/api/').href).toBe('http://h:15672/');
    expect(parseApiUrl('https://proxy.example/rabbit/api').href).toBe('https://proxy.example/rabbit');
  });

  it('says in one line what is wrong, never printing the password', () => {
    expect(() => parseApiUrl('ftp://u:secret@h')).toThrow(
      /^unsupported management API URL 'ftp:\/\/u:\*\*@h': it must start with http:\/\/ or https:\/\/$/,
    );
    expect(() => parseApiUrl('http://u:secret@')).toThrow(/^invalid management API URL 'http:\/\/u:\*\*@'/);
  });
});
