import type { QueueFigures } from '../../src/queues/index.js';

/** Figures of an empty, unconsumed classic queue in vhost '/', with `fields` over them. */
export function queueFigures(name: string, fields: Partial<QueueFigures> = {}): QueueFigures {
  return {
    vhost: '/',
    name,
    type: 'classic',
    ready: 0,
    unacked: 0,
    consumers: 0,
    publishRate: 0,
    deliverRate: 0,
    readyRate: 0,
    idleSince: null,
    ...fields,
  };
}
