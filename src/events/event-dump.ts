import type { EventEnvelope } from '../protocol/event-message.js';
import { pyRepr } from '../protocol/python-repr.js';
import { plainText } from '../protocol/plain-text.js';

/**
 * One human-readable line per event, as `celery events --dump` prints them (celery/events/dumper.py):
 *
 *   w1@vm [2026-11-21 19:05:24.020472] heartbeat: active=0, clock=2, freq=2, ...
 *   w1@vm [2026-11-21 19:05:24.030000] task received: tasks.add(e942…) args=(2, 2) kwargs={} clock=14, ...
 *
 * Later events of a task name it from the received/sent event seen before (a bounded cache, as Celery keeps).
 */
export class EventDumper {
  private readonly names = new Map<string, string>();

  constructor(private readonly maxNames = 0xfff) {}

  format(event: EventEnvelope): string {
    const fields = { ...(event as unknown as Record<string, unknown>) };
    const timestamp = pythonUtcDatetime(typeof fields['timestamp'] === 'number' ? fields['timestamp'] : 0);
    const type = String(fields['type']).toLowerCase();
    const hostname = plainText(fields['hostname'] ?? '');
    delete fields['timestamp'];
    delete fields['type'];
    delete fields['hostname'];
    if (type.startsWith('task-')) {
      const uuid = plainText(fields['uuid'] ?? '');
      delete fields['uuid'];
      let task: string;
      if (type === 'task-received' || type === 'task-sent') {
        task = `${pyStr(fields['name'])}(${uuid}) args=${pyStr(fields['args'])} kwargs=${pyStr(fields['kwargs'])}`;
        delete fields['name'];
        delete fields['args'];
        delete fields['kwargs'];
        this.remember(uuid, task);
      } else {
        task = this.names.get(uuid) ?? '';
      }
      const rest = formatFields(fields);
      return `${hostname} [${timestamp}] ${humanizeType(type)}${rest ? ':' : ''} ${task} ${rest}`;
    }
    const rest = formatFields(fields);
    return `${hostname} [${timestamp}] ${humanizeType(type)}${rest ? ':' : ''} ${rest}`;
  }

  private remember(uuid: string, task: string): void {
    this.names.delete(uuid);
    this.names.set(uuid, task);
    if (this.names.size > this.maxNames) {
      const oldest = this.names.keys().next().value;
      if (oldest !== undefined) this.names.delete(oldest);
    }
  }
}

const HUMAN_TYPES: Readonly<Record<string, string>> = {
  'worker-offline': 'shutdown',
  'worker-online': 'started',
  'worker-heartbeat': 'heartbeat',
};

function humanizeType(type: string): string {
  return HUMAN_TYPES[type] ?? type.replace(/-/g, ' ');
}

/** Python's `str()` of a JSON value: strings as they are, everything else as its repr. */
function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.keys(fields)
    .sort()
    .map((key) => `${key}=${pyStr(fields[key])}`)
    .join(', ');
}

/** `str(datetime.utcfromtimestamp(ts))`: `2026-11-21 19:05:24.020472`, without the fraction when it is zero. */
export function pythonUtcDatetime(seconds: number): string {
  let whole = Math.floor(seconds);
  let micros = Math.round((seconds - whole) * 1e6);
  if (micros >= 1e6) {
    whole += 1;
    micros -= 1e6;
  }
  const iso = new Date(whole * 1000).toISOString(); // 2026-11-21T19:05:24.000Z
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return micros === 0 ? base : `${base}.${String(micros).padStart(6, '0')}`;
}
