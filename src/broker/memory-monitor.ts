/**
 * The embedded broker's memory high watermark, as RabbitMQ's vm_memory_high_watermark: when what the broker holds
 * reaches it, the alarm goes on and connections that publish are blocked (connection.blocked, and their sockets
 * are no longer read) until it falls back below.
 *
 * What is counted is what the broker holds on behalf of clients, not the process's RSS: the bytes of every message
 * in a queue or delivered and unacked (once per message, however many queues it was routed to) with an estimate of
 * its bookkeeping objects, the bytes of messages still being assembled from content frames, and the output not
 * yet handed to the kernel. RSS cannot tell the alarm when to clear: a process's RSS rarely shrinks after its
 * buffers are freed, so a watermark on RSS would block publishers for good after the first flood.
 *
 * The alarm clears a little below the watermark (CLEAR_RATIO) rather than at it, so a consumer taking one message
 * at a time from a full broker does not toggle every blocked publisher on each message.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/**
 * V8 objects behind one message (Message, QueuedMessage, their slots in queues and maps, the Buffer object), in
 * bytes: measured with bench/broker/flood.mjs (RSS growth / messages held: 474 bytes for 64-byte bodies).
 */
export const MESSAGE_OVERHEAD_BYTES = 400;
/**
 * A message whose content is over Node's pooled-allocation size (4 KiB) has a backing store of its own, with its
 * allocator and ArrayBuffer bookkeeping: measured 5185 bytes of RSS per held 4 KiB message, 1075 over its content.
 */
export const UNPOOLED_MESSAGE_OVERHEAD_BYTES = 1100;
const POOLED_MAX = Buffer.poolSize >>> 1;

/** What holding a message of `contentBytes` costs, as counted against the watermark. */
export function messageCost(contentBytes: number): number {
  return contentBytes + (contentBytes > POOLED_MAX ? UNPOOLED_MESSAGE_OVERHEAD_BYTES : MESSAGE_OVERHEAD_BYTES);
}
/** The alarm clears once usage is below this share of the watermark. */
export const CLEAR_RATIO = 0.9;
/** RabbitMQ's default vm_memory_high_watermark, as a share of the memory available. */
export const DEFAULT_WATERMARK_FRACTION = 0.4;

/** What a holder of messages needs from a message: its size and how many holders it has. */
export interface HeldMessage {
  readonly content: Buffer;
  holders: number;
}

/** `--memory-high-watermark` as given: a share of the memory available, or an absolute number of bytes. */
export type WatermarkSetting = { readonly fraction: number } | { readonly bytes: number };

export class MemoryMonitor {
  private used = 0;
  private alarmOn = false;
  private readonly listeners = new Set<(alarm: boolean) => void>();

  /** `watermark` in bytes; Infinity turns the alarm off. */
  constructor(readonly watermark: number) {}

  /** An unlimited monitor for brokers and tests that set no watermark: it counts but never alarms. */
  static unlimited(): MemoryMonitor {
    return new MemoryMonitor(Number.POSITIVE_INFINITY);
  }

  get usedBytes(): number {
    return this.used;
  }

  get alarm(): boolean {
    return this.alarmOn;
  }

  /** Called with true when the alarm goes on and false when it clears. Returns the way to stop listening. */
  onChange(listener: (alarm: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One more queue entry refers to `message`; its bytes count from the first. */
  hold(message: HeldMessage): void {
    if (message.holders++ === 0) this.add(messageCost(message.content.length));
  }

  /** A queue entry for `message` is gone (acked, dropped, expired, purged); its bytes stop counting with the last. */
  release(message: HeldMessage): void {
    if (--message.holders === 0) this.remove(messageCost(message.content.length));
  }

  add(bytes: number): void {
    this.used += bytes;
    if (!this.alarmOn && this.used >= this.watermark) this.set(true);
  }

  remove(bytes: number): void {
    this.used -= bytes;
    if (this.alarmOn && this.used < this.watermark * CLEAR_RATIO) this.set(false);
  }

  private set(alarm: boolean): void {
    this.alarmOn = alarm;
    for (const listener of [...this.listeners]) listener(alarm);
  }
}

/**
 * The memory the watermark fraction applies to: the smallest of the machine's memory, the cgroup's limit (a
 * container's share) and V8's heap limit. The heap limit is there because each message's bookkeeping lives on the
 * V8 heap, and a process that exhausts it aborts; bodies live outside it, so this is conservative for big bodies.
 */
export function availableMemory(): number {
  return Math.min(totalmem(), cgroupMemoryLimit() ?? Number.POSITIVE_INFINITY, getHeapStatistics().heap_size_limit);
}

/** The watermark in bytes for a setting; the default is RabbitMQ's 0.4 of availableMemory(). */
export function watermarkBytes(setting: WatermarkSetting | undefined): number {
  if (setting === undefined) return Math.floor(DEFAULT_WATERMARK_FRACTION * availableMemory());
  if ('bytes' in setting) return setting.bytes;
  return Math.floor(setting.fraction * availableMemory());
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
};

/**
 * Parse `--memory-high-watermark`: a fraction of the available memory (`0.4`, as RabbitMQ's relative watermark) or
 * an absolute size (`512MiB`, `1GB`, `268435456`, as RabbitMQ's `vm_memory_high_watermark.absolute`). Returns
 * undefined for text that is neither.
 */
export function parseWatermark(text: string): WatermarkSetting | undefined {
  const trimmed = text.trim();
  if (/^(0?\.\d+|1(\.0*)?)$/.test(trimmed)) {
    const fraction = Number(trimmed);
    return fraction > 0 && fraction <= 1 ? { fraction } : undefined;
  }
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(trimmed);
  if (!match) return undefined;
  const unit = UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes >= 1 && Number.isSafeInteger(bytes) ? { bytes } : undefined;
}

/** The cgroup (v2, then v1) memory limit of this process, if it has one. */
function cgroupMemoryLimit(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      const bytes = Number(text);
      // "max" (v2) and a huge page-rounded number (v1) both mean no limit.
      if (Number.isFinite(bytes) && bytes > 0 && bytes < 2 ** 60) return bytes;
      return undefined;
    } catch {
      // not this cgroup version
    }
  }
  return undefined;
}
