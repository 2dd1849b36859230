import { describe, expect, it } from 'vitest';
import { AmqpException } from '../../../src/broker/amqp-exception.js';
import { VirtualHost, type QueueDeclaration } from '../../../src/broker/vhost.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

const declaration = (
  name: string,
  flags: Partial<Pick<QueueDeclaration, 'passive' | 'durable' | 'exclusive' | 'autoDelete'>> = {},
): QueueDeclaration => ({
  name,
  passive: false,
  durable: false,
  exclusive: false,
  autoDelete: false,
  arguments: {},
  argumentTypes: new Map(),
  ...flags,
});

function refusal(run: () => unknown): AmqpException {
  try {
    run();
  } catch (err) {
    if (err instanceof AmqpException) return err;
    throw err;
  }
  throw new Error('expected the declare to be refused');
}

describe('VirtualHost queue policy', () => {
  const owner = {};

  it('permits transient non-exclusive queues by default, as RabbitMQ 3.x and 4.0-4.2 do', () => {
    const vhost = new VirtualHost('/', new ManualClock());
    expect(vhost.declareQueue(declaration('q'), owner).name).toBe('q');
  });

  it("refuses them with RabbitMQ 4.3's 541 on the connection when denied; durable, exclusive and passive declares pass", () => {
    const vhost = new VirtualHost('/', new ManualClock(), { denyTransientNonExclusiveQueues: true });
    for (const d of [declaration('t'), declaration('t', { autoDelete: true }), declaration('')]) {
      const error = refusal(() => vhost.declareQueue(d, owner));
      expect(error.replyCode).toBe(541);
      expect(error.isConnectionError).toBe(true);
      expect(error.replyText.split('\n')[0]).toBe('INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated.');
    }
    expect(vhost.queues.size).toBe(0);
    vhost.declareQueue(declaration('d', { durable: true }), owner);
    vhost.declareQueue(declaration('e', { exclusive: true, autoDelete: true }), owner);
    expect(vhost.declareQueue(declaration('d', { passive: true }), owner).name).toBe('d');
    expect([...vhost.queues.keys()].sort()).toEqual(['d', 'e']);
  });
});
