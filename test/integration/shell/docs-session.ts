/**
 * The session from Celery's docs ("Hands on with the API"), with unique names, and what each step must have done
 * to the broker. Run three ways by the integration tests: through the engine, piped to the bin, one per process.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { BrokerProbe } from './broker-probe.js';

export interface DocsStep {
  readonly line: string;
  /** The text the step prints on stdout in text mode (a substring for basic.get). */
  readonly prints: string;
  readonly check: (probe: BrokerProbe) => Promise<void>;
}

export function docsSession(): { exchange: string; queue: string; key: string; steps: DocsStep[] } {
  const id = randomUUID().slice(0, 8);
  const exchange = `camq-test-testexchange-${id}`;
  const queue = `camq-test-testqueue-${id}`;
  const key = `testkey-${id}`;
  const steps: DocsStep[] = [
    {
      line: `exchange.declare ${exchange} direct`,
      prints: 'ok.',
      check: async (probe) => expect(await probe.exchangeExists(exchange)).toBe(true),
    },
    {
      line: `queue.declare ${queue}`,
      prints: `ok. queue:${queue} messages:0 consumers:0.`,
      check: async (probe) => expect(await probe.queue(queue)).toEqual({ ready: 0, consumers: 0 }),
    },
    {
      line: `queue.bind ${queue} ${exchange} ${key}`,
      prints: 'ok.',
      check: async (probe) => expect(await probe.inspector.listBindings()).toContainEqual({ source: exchange, destination: queue, routingKey: key }),
    },
    {
      line: `basic.publish "This is a message" ${exchange} ${key}`,
      prints: 'ok.',
      check: async (probe) => expect(await probe.queue(queue)).toEqual({ ready: 1, consumers: 0 }),
    },
    {
      line: `basic.get ${queue}`,
      prints: "{'body': 'This is a message',",
      check: async (probe) => {
        expect(await probe.queue(queue)).toEqual({ ready: 0, consumers: 0 });
        expect(await probe.unacked(queue)).toBe(1);
      },
    },
    {
      line: 'basic.ack 1',
      prints: 'ok.',
      check: async (probe) => {
        expect(await probe.queue(queue)).toEqual({ ready: 0, consumers: 0 });
        expect(await probe.unacked(queue)).toBe(0);
      },
    },
    {
      line: `queue.delete ${queue}`,
      prints: 'ok. 0 messages deleted.',
      check: async (probe) => expect(await probe.queue(queue)).toBeUndefined(),
    },
    {
      line: `exchange.delete ${exchange}`,
      prints: 'ok.',
      check: async (probe) => expect(await probe.exchangeExists(exchange)).toBe(false),
    },
  ];
  return { exchange, queue, key, steps };
}
