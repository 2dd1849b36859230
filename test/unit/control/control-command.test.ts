import { describe, expect, it } from 'vitest';
import {
  addConsumerCommand,
  autoscaleCommand,
  customCommand,
  normalizeSignal,
  poolGrowCommand,
  rateLimitCommand,
  revokeCommand,
  terminateCommand,
  timeLimitCommand,
} from '../../../src/control/control-command.js';
import { UsageError } from '../../../src/errors/index.js';

describe('command builders use the wire names of PROTOCOL.md §3.6', () => {
  it('rate_limit', () => {
    expect(rateLimitCommand('tasks.add', '10/m')).toEqual({ method: 'rate_limit', arguments: { task_name: 'tasks.add', rate_limit: '10/m' } });
    expect(rateLimitCommand('tasks.add', ' 0.5/s ').arguments['rate_limit']).toBe('0.5/s');
    expect(rateLimitCommand('tasks.add', 5).arguments['rate_limit']).toBe(5);
  });

  it('rate_limit 0 removes the limit with null', () => {
    expect(rateLimitCommand('tasks.add', '0').arguments['rate_limit']).toBeNull();
    expect(rateLimitCommand('tasks.add', 0).arguments['rate_limit']).toBeNull();
  });

  it.each(['10/x', '5/d', 'fast', '-1', '1e3/s'])('rejects the rate %j with a UsageError', (rate) => {
    expect(() => rateLimitCommand('tasks.add', rate)).toThrow(UsageError);
  });

  it('rejects a missing task name', () => {
    expect(() => rateLimitCommand(' ', '1/s')).toThrow(/missing task name/);
  });

  it('revoke sends one id as a string and several as a list, with terminate and signal', () => {
    expect(revokeCommand('abc')).toEqual({ method: 'revoke', arguments: { task_id: 'abc', terminate: false, signal: 'SIGTERM' } });
    expect(revokeCommand(['a', 'b'], { terminate: true, signal: 'kill' }).arguments).toEqual({
      task_id: ['a', 'b'],
      terminate: true,
      signal: 'SIGKILL',
    });
  });

  it('revoke and terminate need at least one task id', () => {
    expect(() => revokeCommand([])).toThrow(/missing task id/);
    expect(() => revokeCommand(['a', ' '])).toThrow(/missing task id/);
    expect(() => terminateCommand('TERM', [])).toThrow(/missing task id/);
  });

  it('terminate sends the signal and a list of ids', () => {
    expect(terminateCommand('9', 'abc')).toEqual({ method: 'terminate', arguments: { signal: 9, task_id: ['abc'] } });
  });

  it('time_limit checks its numbers', () => {
    expect(timeLimitCommand('tasks.sleep', 5, 10).arguments).toEqual({ task_name: 'tasks.sleep', soft: 5, hard: 10 });
    expect(timeLimitCommand('tasks.sleep', 5).arguments['hard']).toBeNull();
    expect(() => timeLimitCommand('tasks.sleep', -1)).toThrow(UsageError);
    expect(() => timeLimitCommand('tasks.sleep', 10, 5)).toThrow(/shorter than the soft/);
  });

  it('add_consumer fills Celery defaults and checks the exchange type', () => {
    expect(addConsumerCommand('images').arguments).toEqual({ queue: 'images', exchange: null, exchange_type: 'direct', routing_key: null });
    expect(addConsumerCommand('images', { exchange: 'media', exchangeType: 'topic', routingKey: 'img.#' }).arguments).toEqual({
      queue: 'images',
      exchange: 'media',
      exchange_type: 'topic',
      routing_key: 'img.#',
    });
    expect(() => addConsumerCommand('images', { exchangeType: 'x-delayed' })).toThrow(/invalid exchange type/);
  });

  it('pool and autoscale counts', () => {
    expect(poolGrowCommand().arguments).toEqual({ n: 1 });
    expect(() => poolGrowCommand(0)).toThrow(UsageError);
    expect(() => poolGrowCommand(1.5)).toThrow(UsageError);
    expect(autoscaleCommand(10, 3).arguments).toEqual({ max: 10, min: 3 });
    expect(() => autoscaleCommand(3, 10)).toThrow(/larger than max/);
  });

  it('custom commands need a name and an object of arguments', () => {
    expect(customCommand('dump_tasks', { builtins: true })).toEqual({ method: 'dump_tasks', arguments: { builtins: true } });
    expect(() => customCommand('')).toThrow(UsageError);
    expect(() => customCommand('x', [1] as unknown as Record<string, unknown>)).toThrow(/JSON object/);
  });
});

describe('normalizeSignal', () => {
  it('accepts names with or without SIG, any case, and numbers', () => {
    expect(normalizeSignal('SIGTERM')).toBe('SIGTERM');
    expect(normalizeSignal('kill')).toBe('SIGKILL');
    expect(normalizeSignal('Int')).toBe('SIGINT');
    expect(normalizeSignal(15)).toBe(15);
    expect(normalizeSignal('9')).toBe(9);
  });

  it.each(['FOO', '', '0', '99', 'SIG'])('rejects %j', (signal) => {
    expect(() => normalizeSignal(signal)).toThrow(/unknown signal/);
  });
});
