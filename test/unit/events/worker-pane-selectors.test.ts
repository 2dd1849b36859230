import { describe, expect, it } from 'vitest';
import {
  filterWorkerRows,
  selectWorkerPaneRows,
  sortWorkerRows,
  summarizeWorkers,
  workerGroupKey,
  workerGroupOf,
  type WorkerRow,
} from '../../../src/events/selectors.js';

function row(hostname: string, over: Partial<WorkerRow> = {}): WorkerRow {
  return {
    hostname,
    isOnline: true,
    hasShutdown: false,
    seenAge: 1,
    freq: 2,
    active: 0,
    processed: 0,
    loadavg: [0.1, 0.1, 0.1],
    software: '',
    drift: undefined,
    counts: { received: 0, started: 0, succeeded: 0, failed: 0, retried: 0, revoked: 0, rejected: 0 } as WorkerRow['counts'],
    ...over,
  };
}

const ROWS = [
  row('payments-0001@h1', { active: 2, seenAge: 1.5, loadavg: [0.9, 0, 0] }),
  row('emails-0002@h2', { isOnline: false, seenAge: 30 }),
  row('payments-0003@h1', { seenAge: 4 }),
  row('reports-0004@h2', { active: 5, seenAge: 0.2, loadavg: [2.5, 0, 0] }),
  row('celery@h3', { seenAge: undefined, active: undefined, loadavg: undefined }),
];
const names = (rows: readonly WorkerRow[]) => rows.map((r) => r.hostname);

describe('workers pane selectors', () => {
  it('the summary counts online, offline and busy workers and names the stalest online one', () => {
    expect(summarizeWorkers(ROWS)).toEqual({ total: 5, online: 4, offline: 1, busy: 2, stalest: { hostname: 'payments-0003@h1', seenAge: 4 } });
    expect(summarizeWorkers([])).toEqual({ total: 0, online: 0, offline: 0, busy: 0, stalest: undefined });
  });

  it('sorts by name, state (offline first), last seen (longest silent first), active and load; ties by name', () => {
    expect(names(sortWorkerRows(ROWS, 'name'))).toEqual(['celery@h3', 'emails-0002@h2', 'payments-0001@h1', 'payments-0003@h1', 'reports-0004@h2']);
    expect(names(sortWorkerRows(ROWS, 'state'))[0]).toBe('emails-0002@h2');
    expect(names(sortWorkerRows(ROWS, 'seen'))).toEqual(['celery@h3', 'emails-0002@h2', 'payments-0003@h1', 'payments-0001@h1', 'reports-0004@h2']);
    expect(names(sortWorkerRows(ROWS, 'active')).slice(0, 2)).toEqual(['reports-0004@h2', 'payments-0001@h1']);
    expect(names(sortWorkerRows(ROWS, 'load')).slice(0, 2)).toEqual(['reports-0004@h2', 'payments-0001@h1']);
    expect(names(ROWS)[0]).toBe('payments-0001@h1'); // the input is left as it was
  });

  it('filters by a glob, or else by text in any case', () => {
    expect(names(filterWorkerRows(ROWS, 'payments-*'))).toEqual(['payments-0001@h1', 'payments-0003@h1']);
    expect(names(filterWorkerRows(ROWS, '*@h2'))).toEqual(['emails-0002@h2', 'reports-0004@h2']);
    expect(names(filterWorkerRows(ROWS, 'EMAIL'))).toEqual(['emails-0002@h2']);
    expect(filterWorkerRows(ROWS, undefined)).toBe(ROWS);
    expect(filterWorkerRows(ROWS, 'nobody')).toEqual([]);
  });

  it('names groups by host or by the name before its number', () => {
    expect(workerGroupOf('payments-0001@h1', 'prefix')).toBe('payments-*');
    expect(workerGroupOf('payments-0001@h1', 'host')).toBe('h1');
    expect(workerGroupOf('worker12@vm', 'prefix')).toBe('worker*');
    expect(workerGroupOf('celery@vm', 'prefix')).toBe('celery');
    expect(workerGroupOf('a.b.7@vm', 'prefix')).toBe('a.b.*');
    expect(workerGroupOf('lonely', 'host')).toBe('(no host)');
  });

  it('grouped rows: a heading per group with its counts, members only under an open group, in the chosen order', () => {
    const closed = selectWorkerPaneRows(ROWS, { sort: 'name', grouping: 'prefix' });
    expect(closed.map((r) => r.key)).toEqual(['group:celery', 'group:emails-*', 'group:payments-*', 'group:reports-*']);
    const payments = closed[2]!;
    expect(payments.kind === 'group' && payments.summary).toMatchObject({ total: 2, online: 2, busy: 1 });
    const open = selectWorkerPaneRows(ROWS, { sort: 'seen', grouping: 'prefix', expanded: [workerGroupKey('payments-*')] });
    expect(open.map((r) => r.key)).toEqual([
      'group:celery',
      'group:emails-*',
      'group:payments-*',
      'payments-0003@h1',
      'payments-0001@h1',
      'group:reports-*',
    ]);
    const byHost = selectWorkerPaneRows(ROWS, { sort: 'name', grouping: 'host', filter: '*@h2' });
    expect(byHost.map((r) => r.key)).toEqual(['group:h2']);
    expect(selectWorkerPaneRows(ROWS, { sort: 'state', grouping: 'none' })[0]).toMatchObject({ kind: 'worker', key: 'emails-0002@h2' });
  });
});
