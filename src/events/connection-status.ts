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
  /** Why, in a few words (`connection refused (ECONNREFUSED)`), for `reconnecting` and `failed`. */
  readonly reason?: string | undefined;
  /** While `reconnecting`: the attempt scheduled next (1-based), and its delay. */
  readonly attempt?: number | undefined;
  readonly retryInMs?: number | undefined;
  /** The receiver's own queue, once declared. */
  readonly queue?: string | undefined;
}

export function initialConnectionStatus(broker: string): ConnectionStatus {
  return { phase: 'connecting', broker, reconnects: 0 };
}

/** The status in a few words, for a header: `reconnecting (attempt 3, connection refused (ECONNREFUSED))`. */
export function describeConnectionPhase(status: ConnectionStatus, label: string = status.phase): string {
  if (status.phase !== 'reconnecting' && status.phase !== 'failed') return label;
  const parts = [status.phase === 'reconnecting' && status.attempt !== undefined ? `attempt ${status.attempt}` : undefined, status.reason].filter(
    Boolean,
  );
  return parts.length > 0 ? `${label} (${parts.join(', ')})` : label;
}
