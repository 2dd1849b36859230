import type { Channel } from '../amqp/index.js';

/** The parts of BrokerConnection the worker uses; tests pass a fake with fake channels. */
export interface WorkerConnection {
  readonly masked: string;
  readonly url: { readonly hostname: string; readonly port: number; readonly username: string; readonly vhost: string; readonly protocol: string };
  /** False while the connection is down (BrokerConnection has it; a connection without it counts as open). */
  readonly isOpen?: boolean;
  connect(): Promise<unknown>;
  addSetup(hook: (connection: unknown) => Promise<void> | void): Promise<void>;
  removeSetup(hook: (connection: unknown) => Promise<void> | void): void;
  createChannel(): Promise<Channel>;
  whenOpen(): Promise<void>;
  close(): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event's arguments are BrokerConnection's
  on(event: 'disconnected' | 'reconnecting' | 'failed' | 'connected', listener: (...args: any[]) => void): unknown;
}
