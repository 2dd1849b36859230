import { describe, expect, it } from 'vitest';
import { INSPECT_TARGETS, findInspectTarget, inspectCommand } from '../../../src/control/inspect-target.js';
import { CONTROL_COMMANDS } from '../../../src/protocol/control-catalog.js';

describe('inspect targets', () => {
  it('every target goes out as a read-only Celery command', () => {
    for (const target of INSPECT_TARGETS) {
      expect(CONTROL_COMMANDS.find((c) => c.method === target.method)?.kind, target.name).toBe('inspect');
    }
  });

  it('finds targets by name, alias, and with _ for -', () => {
    expect(findInspectTarget('reserved')?.method).toBe('reserved');
    expect(findInspectTarget('dump-reserved')?.method).toBe('reserved');
    expect(findInspectTarget('dump_schedule')?.method).toBe('scheduled');
    expect(findInspectTarget('active_queues')?.method).toBe('active_queues');
    expect(findInspectTarget('QUERY-TASK')?.method).toBe('query_task');
    expect(findInspectTarget('dump-tasks')?.method).toBe('registered');
    expect(findInspectTarget('nope')).toBeUndefined();
  });

  it('builds requests with the list arguments Celery sends', () => {
    expect(inspectCommand('query-task', ['a', 'b'])).toEqual({ method: 'query_task', arguments: { ids: ['a', 'b'] } });
    expect(inspectCommand('registered', ['rate_limit', 'serializer'])).toEqual({
      method: 'registered',
      arguments: { taskinfoitems: ['rate_limit', 'serializer'] },
    });
    expect(inspectCommand('registered')).toEqual({ method: 'registered', arguments: {} });
    expect(inspectCommand('dump-schedule')).toEqual({ method: 'scheduled', arguments: {} });
  });

  it('rejects unknown targets, missing ids and stray arguments', () => {
    expect(() => inspectCommand('nope')).toThrow(/unknown inspect target 'nope': use one of active, reserved/);
    expect(() => inspectCommand('query-task')).toThrow(/needs at least one id/);
    expect(() => inspectCommand('stats', ['x'])).toThrow(/takes no arguments/);
  });
});
