import type { EventEnvelope } from '../protocol/event-message.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { ClusterState, isWorkerAlive, type ClusterStateOptions } from './cluster-state.js';
import { initialConnectionStatus, type ConnectionStatus } from './connection-status.js';

/** What views read: a new object after every coalesced change, so `useSyncExternalStore` sees it changed. */
export interface ClusterSnapshot {
  /** The live state (mutated in place between snapshots; read it during render only). */
  readonly state: ClusterState;
  /** `state.version` when this snapshot was taken. */
  readonly version: number;
  readonly connection: ConnectionStatus;
  /** Snapshots published so far (1 for the first). */
  readonly sequence: number;
}

export interface ClusterStoreOptions extends ClusterStateOptions {
  readonly clock: Clock;
  /** The masked broker URL for the connection status. @defaultValue '' */
  readonly broker?: string;
  /** Most snapshots per second however fast events arrive. @defaultValue 10 */
  readonly maxUpdatesPerSecond?: number;
  /**
   * Most snapshots per second for routine heartbeats alone (from workers already online): they change no row a
   * user watches for, and a view that shows ages re-reads the state every second anyway. @defaultValue 0.2
   */
  readonly maxHeartbeatUpdatesPerSecond?: number;
}

/**
 * The bridge between the event stream and the views: events are applied to the state at once (cheap), listeners
 * are told at most `maxUpdatesPerSecond` times a second (a redraw is not), and for routine heartbeats alone at most
 * `maxHeartbeatUpdatesPerSecond`: an idle cluster of many workers, each heartbeating every 2 s at its own moment,
 * would otherwise redraw the live view several times a second. `subscribe`/`getSnapshot` are the pair React's
 * `useSyncExternalStore` wants.
 */
export class ClusterStore {
  readonly state: ClusterState;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly listeners = new Set<() => void>();
  private snapshot: ClusterSnapshot;
  private connection: ConnectionStatus;
  private timer: TimerHandle | undefined;
  /** When the pending publish is due (monotonic ms). */
  private timerDue = Infinity;
  private lastPublish = -Infinity;
  private isClosed = false;

  constructor(options: ClusterStoreOptions) {
    this.state = new ClusterState(options);
    this.clock = options.clock;
    this.intervalMs = 1000 / Math.max(0.1, options.maxUpdatesPerSecond ?? 10);
    this.heartbeatIntervalMs = Math.max(this.intervalMs, 1000 / Math.max(0.01, options.maxHeartbeatUpdatesPerSecond ?? 0.2));
    this.connection = initialConnectionStatus(options.broker ?? '');
    this.snapshot = { state: this.state, version: this.state.version, connection: this.connection, sequence: 1 };
  }

  /** Apply a delivery's events now; publish a snapshot when the rate cap allows. */
  dispatch(events: readonly EventEnvelope[]): void {
    if (events.length === 0) return;
    const now = this.clock.now();
    const isRoutine = events.every((e) => this.isRoutineHeartbeat(e, now));
    this.state.applyAll(events, now);
    this.schedule(isRoutine ? this.heartbeatIntervalMs : this.intervalMs);
  }

  /**
   * Apply recorded events (a journal's history, a replay), each at its own receipt time (`local_received`), so a
   * task's age and "last seen" are the recorded ones; publish at once.
   */
  loadHistory(events: readonly EventEnvelope[]): void {
    if (events.length === 0) return;
    const fallback = this.clock.now();
    for (const event of events) {
      const received = (event as { local_received?: unknown }).local_received;
      this.state.apply(event, typeof received === 'number' ? received * 1000 : fallback);
    }
    this.schedule(0);
  }

  setConnection(status: ConnectionStatus): void {
    this.connection = status;
    this.schedule(this.intervalMs);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getSnapshot = (): ClusterSnapshot => this.snapshot;

  /** Stop publishing (pending changes are dropped). */
  close(): void {
    this.isClosed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** A heartbeat from a worker that is online already: it moves no worker between online and offline. */
  private isRoutineHeartbeat(event: EventEnvelope, nowMs: number): boolean {
    if (event.type !== 'worker-heartbeat') return false;
    const worker = this.state.workers.get(event.hostname);
    return worker !== undefined && isWorkerAlive(worker, nowMs);
  }

  /** Publish `intervalMs` after the last publish (at once if that is past), unless a publish is due sooner. */
  private schedule(intervalMs: number): void {
    if (this.isClosed) return;
    const now = this.clock.monotonic();
    const due = Math.max(now, this.lastPublish + intervalMs);
    if (this.timer !== undefined && this.timerDue <= due) return;
    this.timer?.cancel();
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => this.publish(), due - now);
    this.timer.unref();
  }

  private publish(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    this.lastPublish = this.clock.monotonic();
    this.snapshot = {
      state: this.state,
      version: this.state.version,
      connection: this.connection,
      sequence: this.snapshot.sequence + 1,
    };
    for (const listener of [...this.listeners]) listener();
  }
}
