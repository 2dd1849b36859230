import { describe, expect, it } from 'vitest';
import {
  availableMemory,
  CLEAR_RATIO,
  MemoryMonitor,
  MESSAGE_OVERHEAD_BYTES,
  parseWatermark,
  watermarkBytes,
} from '../../../src/broker/memory-monitor.js';

describe('MemoryMonitor', () => {
  it('sets the alarm at the watermark and clears it below CLEAR_RATIO of it, telling listeners each time', () => {
    const monitor = new MemoryMonitor(1000);
    const changes: boolean[] = [];
    monitor.onChange((alarm) => changes.push(alarm));
    monitor.add(999);
    expect(monitor.alarm).toBe(false);
    monitor.add(1);
    expect(changes).toEqual([true]);
    monitor.remove(1000 - 1000 * CLEAR_RATIO); // exactly at the clear line: still on
    expect(monitor.alarm).toBe(true);
    monitor.remove(1);
    expect(changes).toEqual([true, false]);
    monitor.add(50);
    expect(changes).toEqual([true, false]);
  });

  it('counts a message once however many queues hold it, until the last lets go', () => {
    const monitor = new MemoryMonitor(Infinity);
    const message = { content: Buffer.alloc(100), holders: 0 };
    monitor.hold(message);
    monitor.hold(message);
    expect(monitor.usedBytes).toBe(100 + MESSAGE_OVERHEAD_BYTES);
    monitor.release(message);
    expect(monitor.usedBytes).toBe(100 + MESSAGE_OVERHEAD_BYTES);
    monitor.release(message);
    expect(monitor.usedBytes).toBe(0);
  });
});

describe('parseWatermark', () => {
  it("reads a share of memory or a size, as RabbitMQ's relative and absolute watermarks", () => {
    expect(parseWatermark('0.4')).toEqual({ fraction: 0.4 });
    expect(parseWatermark('.25')).toEqual({ fraction: 0.25 });
    expect(parseWatermark('1')).toEqual({ fraction: 1 });
    expect(parseWatermark('536870912')).toEqual({ bytes: 536870912 });
    expect(parseWatermark('512MiB')).toEqual({ bytes: 512 * 2 ** 20 });
    expect(parseWatermark('2GB')).toEqual({ bytes: 2e9 });
    expect(parseWatermark('1.5g')).toEqual({ bytes: 1.5 * 2 ** 30 });
  });

  it('refuses what is neither', () => {
    for (const text of ['0', '0.0', '-1', '1.5x', 'lots', '', '1e9', '0MB']) expect(parseWatermark(text)).toBeUndefined();
  });

  it('defaults to 0.4 of the available memory, which is no more than the V8 heap limit', () => {
    expect(watermarkBytes(undefined)).toBe(Math.floor(0.4 * availableMemory()));
    expect(watermarkBytes({ bytes: 123 })).toBe(123);
    expect(availableMemory()).toBeGreaterThan(0);
  });
});
