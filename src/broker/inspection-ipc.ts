/**
 * What `rabbitmqctl` asks RabbitMQ, asked of a `camq broker` in another process: when a Node parent forks it with an
 * IPC channel, the broker answers these requests on that channel (test suites use it to inspect a broker their
 * Python workers and camq processes share). The parent going away stops the broker, so none outlives its owner.
 */
import type { BrokerServer } from './server.js';

export const INSPECTION_METHODS = ['listQueues', 'listExchanges', 'listBindings', 'closeConnectionsNamed', 'closeAllConnections'] as const;
export type InspectionMethod = (typeof INSPECTION_METHODS)[number];

export interface InspectionRequest {
  readonly id: number;
  readonly method: InspectionMethod;
  readonly args: readonly unknown[];
}

export type InspectionReply = { readonly id: number; readonly result: unknown } | { readonly id: number; readonly error: string };

/** The IPC side of a process (`process` in a forked child): messages in, `send` out, `disconnect` when the parent goes. */
export interface IpcPort {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  send?(message: unknown): boolean;
  disconnect?(): void;
}

export interface InspectionService {
  /** Resolves when the parent closed the channel (or died). */
  readonly disconnected: Promise<void>;
  /** Stop answering and let go of the channel, so the process can exit. */
  stop(): void;
}

/** Answer inspection requests on `port` until stopped. */
export function serveInspection(server: BrokerServer, port: IpcPort): InspectionService {
  const onMessage = (message: unknown) => {
    const request = message as Partial<InspectionRequest> | null;
    if (typeof request?.id !== 'number') return;
    port.send?.(answer(server, request as InspectionRequest));
  };
  port.on('message', onMessage);
  return {
    disconnected: new Promise<void>((resolve) => port.once('disconnect', resolve)),
    stop: () => {
      port.off('message', onMessage);
      port.disconnect?.();
    },
  };
}

function answer(server: BrokerServer, request: InspectionRequest): InspectionReply {
  const [first, second] = request.args ?? [];
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  switch (request.method) {
    case 'listQueues':
      return { id: request.id, result: server.listQueues(text(first)) };
    case 'listExchanges':
      return { id: request.id, result: server.listExchanges(text(first)) };
    case 'listBindings':
      return { id: request.id, result: server.listBindings(text(first)) };
    case 'closeConnectionsNamed':
      return { id: request.id, result: server.closeConnectionsNamed(String(first), text(second)) };
    case 'closeAllConnections':
      server.closeAllConnections(text(first));
      return { id: request.id, result: null };
    default:
      return { id: request.id, error: `unknown inspection method '${String(request.method)}'; expected one of ${INSPECTION_METHODS.join(', ')}` };
  }
}
