/** What the header shows about the receiver's link to the broker. */
export type ConnectionPhase = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export interface ConnectionStatus {
  readonly phase: ConnectionPhase;
  /** The broker URL with its password masked. */
  readonly broker: string;
  /** Successful reconnects since start. */
  readonly reconnects: number;
  /** The latest connection error, for `reconnecting` and `failed`. */
  readonly error?: string | undefined;
  /** The receiver's own queue, once declared. */
  readonly queue?: string | undefined;
}

export function initialConnectionStatus(broker: string): ConnectionStatus {
  return { phase: 'connecting', broker, reconnects: 0 };
}
