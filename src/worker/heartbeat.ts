import { loadavg, type as osType } from 'node:os';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { EventDispatcher } from './event-dispatcher.js';

/** The software fields of worker events; Python workers send `py-celery`. */
export interface SoftwareInfo {
  readonly sw_ident: string;
  readonly sw_ver: string;
  readonly sw_sys: string;
}

export function softwareInfo(version: string): SoftwareInfo {
  return { sw_ident: 'camq', sw_ver: version, sw_sys: osType() };
}

/** `os.getloadavg()` rounded up to two decimals, as Celery reports it. */
export function roundedLoadavg(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = loadavg();
  const up = (n: number) => Math.ceil(n * 100) / 100;
  return [up(a), up(b), up(c)];
}

/**
 * `worker-online`, `worker-heartbeat` every `freqSeconds` and `worker-offline`, with Celery's fields
 * (docs/protocol.md, Events).
 */
export class Heart {
  private timer: TimerHandle | undefined;
  private readonly dispatcher: EventDispatcher;
  private readonly clock: Clock;
  private readonly freqSeconds: number;
  private readonly software: SoftwareInfo;
  private readonly counts: () => { active: number; processed: number };

  constructor(options: {
    dispatcher: EventDispatcher;
    clock: Clock;
    software: SoftwareInfo;
    counts: () => { active: number; processed: number };
    /** @defaultValue 2 */
    freqSeconds?: number;
  }) {
    this.dispatcher = options.dispatcher;
    this.clock = options.clock;
    this.software = options.software;
    this.counts = options.counts;
    this.freqSeconds = options.freqSeconds ?? 2;
  }

  start(): void {
    this.send('worker-online');
    this.timer?.cancel();
    this.timer = this.clock.setInterval(() => this.send('worker-heartbeat'), this.freqSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Stop the timer and send `worker-offline`. */
  offline(): void {
    this.stop();
    this.send('worker-offline');
  }

  /** The heartbeat the `heartbeat` control command asks for: only `freq: 5` and the software fields. */
  beatOnRequest(): void {
    this.dispatcher.send('worker-heartbeat', { freq: 5, ...this.software });
  }

  private send(type: 'worker-online' | 'worker-heartbeat' | 'worker-offline'): void {
    const { active, processed } = this.counts();
    this.dispatcher.send(type, { freq: this.freqSeconds, active, processed, loadavg: roundedLoadavg(), ...this.software });
  }
}
