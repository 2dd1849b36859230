/**
 * Celery events as a Python worker sends them (PROTOCOL.md §4.4, §4.5), stamped with `local_received` as the
 * receiver would, for tests that feed the reducer, the store or the TUI a scripted stream without a broker.
 */
import type { EventEnvelope } from '../../src/protocol/event-message.js';

export interface ScriptedEventOptions {
  /** Sender's timestamp, float seconds. @defaultValue the receipt time */
  readonly timestamp?: number;
  readonly clock?: number;
}

let clockCounter = 0;

/** One event as received at `receivedMs` (epoch ms). */
export function scriptedEvent(
  type: string,
  hostname: string,
  fields: Record<string, unknown>,
  receivedMs: number,
  options: ScriptedEventOptions = {},
): EventEnvelope {
  return {
    hostname,
    utcoffset: 0,
    pid: 4242,
    clock: options.clock ?? ++clockCounter,
    ...fields,
    timestamp: options.timestamp ?? receivedMs / 1000,
    type,
    local_received: receivedMs / 1000,
  };
}

export const PY_WORKER_FIELDS = { sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux' } as const;

export function workerEvent(
  subject: 'online' | 'heartbeat' | 'offline',
  hostname: string,
  receivedMs: number,
  fields: Record<string, unknown> = {},
  options: ScriptedEventOptions = {},
): EventEnvelope {
  return scriptedEvent(
    `worker-${subject}`,
    hostname,
    { freq: 2.0, active: 0, processed: 0, loadavg: [0.17, 0.36, 0.19], ...PY_WORKER_FIELDS, ...fields },
    receivedMs,
    options,
  );
}

export function taskEvent(
  subject: string,
  uuid: string,
  hostname: string,
  receivedMs: number,
  fields: Record<string, unknown> = {},
  options: ScriptedEventOptions = {},
): EventEnvelope {
  return scriptedEvent(`task-${subject}`, hostname, { uuid, ...fields }, receivedMs, options);
}

/** task-received with the fields a Python worker sends (repr strings for args and kwargs). */
export function taskReceived(uuid: string, hostname: string, receivedMs: number, name = 'tasks.add', args = '(2, 2)', kwargs = '{}'): EventEnvelope {
  return taskEvent('received', uuid, hostname, receivedMs, {
    name,
    args,
    kwargs,
    root_id: uuid,
    parent_id: null,
    retries: 0,
    eta: null,
    expires: null,
  });
}
