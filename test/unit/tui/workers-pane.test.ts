import { describe, expect, it } from 'vitest';
import type { NodeReply } from '../../../src/tui/control-actions.js';
import { positionText, firstShownRow } from '../../../src/tui/components/worker-table.js';
import { silentWorkers } from '../../../src/tui/hooks/use-view-actions.js';
import { overviewLayout } from '../../../src/tui/layout.js';
import { lineEditor } from '../../../src/tui/state/line-editor.js';
import { initialUiState, movePaged, PANES, uiReducer, type UiAction, type UiState } from '../../../src/tui/state/ui-reducer.js';

const reduce = (actions: readonly UiAction[], from: UiState = initialUiState) => actions.reduce(uiReducer, from);
const KEYS = Array.from({ length: 205 }, (_, i) => `w${String(i + 1).padStart(3, '0')}@h`);

describe('paging a pane', () => {
  it('PgDn from the top shows every row exactly once, on page boundaries; the last page is short', () => {
    const page = 20;
    const seen: string[] = [];
    let state = { selected: undefined as string | undefined, scroll: 0 };
    for (;;) {
      const first = firstShownRow(state.scroll, KEYS.length, page);
      seen.push(...KEYS.slice(first, first + page));
      const next = movePaged(KEYS, state.selected, state.scroll, 'page-down', page);
      if (next.scroll === state.scroll) break;
      state = next;
    }
    expect(seen).toEqual(KEYS);
    expect(state).toEqual({ selected: KEYS[200], scroll: 200 });
    expect(positionText(state.scroll, KEYS.length, page)).toBe('201–205 of 205');
    expect(positionText(20, KEYS.length, page)).toBe('21–40 of 205');
    expect(positionText(0, 10, page)).toBe('');
  });

  it('Home and End reach the first and the last row; PgUp comes back a page, keeping the place on it', () => {
    expect(movePaged(KEYS, undefined, 0, 'end', 20)).toEqual({ selected: 'w205@h', scroll: 200 });
    expect(movePaged(KEYS, 'w205@h', 200, 'home', 20)).toEqual({ selected: 'w001@h', scroll: 0 });
    expect(movePaged(KEYS, 'w045@h', 40, 'page-up', 20)).toEqual({ selected: 'w025@h', scroll: 20 });
    expect(movePaged(KEYS, 'w003@h', 0, 'page-up', 20)).toEqual({ selected: 'w003@h', scroll: 0 });
  });

  it('↑↓ move one row and scroll just enough to keep it in view', () => {
    expect(movePaged(KEYS, 'w020@h', 0, 'down', 20)).toEqual({ selected: 'w021@h', scroll: 1 });
    expect(movePaged(KEYS, 'w021@h', 1, 'up', 20)).toEqual({ selected: 'w020@h', scroll: 1 });
    expect(movePaged(KEYS, 'w021@h', 21, 'up', 20)).toEqual({ selected: 'w020@h', scroll: 19 });
    expect(movePaged(KEYS, 'w001@h', 0, 'up', 20)).toEqual({ selected: 'w001@h', scroll: 0 });
    expect(movePaged([], undefined, 5, 'down', 20)).toEqual({ selected: undefined, scroll: 0 });
  });

  it('a selection that left the rows (filtered away) starts again from the shown page', () => {
    expect(movePaged(KEYS, 'gone@h', 40, 'down', 20)).toEqual({ selected: 'w042@h', scroll: 40 });
  });
});

describe('the workers pane in the UI reducer', () => {
  it('Tab goes through the panes in order and back to the first', () => {
    let state = initialUiState;
    const visited: string[] = [];
    for (let i = 0; i < PANES.length + 1; i++) {
      state = uiReducer(state, { type: 'toggle-pane', panes: PANES });
      visited.push(state.pane);
    }
    const start = PANES.indexOf(initialUiState.pane);
    expect(visited).toEqual(Array.from({ length: PANES.length + 1 }, (_, i) => PANES[(start + i + 1) % PANES.length]));
    expect(uiReducer(initialUiState, { type: 'focus-pane', pane: 'workers' }).pane).toBe('workers');
  });

  it('o cycles the order (state, offline first, right after name) and b the grouping; both start again at the top', () => {
    const moved = reduce([{ type: 'move-worker', motion: 'end', keys: KEYS, pageSize: 20 }]);
    expect(moved.workersPane.scroll).toBe(200);
    const sorted = uiReducer(moved, { type: 'cycle-worker-sort' });
    expect(sorted.workersPane).toMatchObject({ sort: 'state', scroll: 0 });
    expect(sorted.selectedWorker).toBeUndefined();
    const sorts = [sorted.workersPane.sort];
    let s = sorted;
    for (let i = 0; i < 4; i++) sorts.push((s = uiReducer(s, { type: 'cycle-worker-sort' })).workersPane.sort);
    expect(sorts).toEqual(['state', 'seen', 'active', 'load', 'name']);
    const grouped = reduce([{ type: 'cycle-worker-grouping' }, { type: 'cycle-worker-grouping' }]);
    expect(grouped.workersPane.grouping).toBe('prefix');
    const open = reduce([{ type: 'toggle-worker-group', key: 'group:payments-*' }], grouped);
    expect(open.workersPane.expanded).toEqual(['group:payments-*']);
    expect(reduce([{ type: 'toggle-worker-group', key: 'group:payments-*' }], open).workersPane.expanded).toEqual([]);
    expect(reduce([{ type: 'cycle-worker-grouping' }], open).workersPane).toMatchObject({ grouping: 'none', expanded: [] });
  });

  it('/ in the workers pane filters workers as typed; Esc puts back the previous pattern, Enter keeps it, c clears it', () => {
    const open = reduce([{ type: 'open-prompt', prompt: { kind: 'worker-filter', editor: lineEditor(''), previous: undefined } }]);
    const typed = uiReducer(open, { type: 'edit-prompt', editor: lineEditor('payments-*') });
    expect(typed.workersPane.filter).toBe('payments-*');
    expect(typed.filter.query).toBeUndefined();
    expect(uiReducer(typed, { type: 'close-prompt', isCancel: true }).workersPane.filter).toBeUndefined();
    const kept = uiReducer(typed, { type: 'close-prompt', isCancel: false });
    expect(kept).toMatchObject({ prompt: undefined, workersPane: { filter: 'payments-*' } });
    expect(uiReducer(kept, { type: 'clear-filters' }).workersPane.filter).toBeUndefined();
  });
});

describe('the panes share the screen by what they hold', () => {
  it('task rows the tasks cannot fill go to the workers pane, keeping a few for the newest tasks', () => {
    const busy = overviewLayout(46, 200, 0, 10_000);
    const quiet = overviewLayout(46, 200, 0, 0);
    expect(busy.workerRows + busy.taskRows).toBe(quiet.workerRows + quiet.taskRows);
    expect(quiet.taskRows).toBe(3);
    expect(quiet.workerRows).toBeGreaterThan(busy.workerRows * 3);
    expect(overviewLayout(46, 4, 0, 0).workerRows).toBe(4);
    expect(overviewLayout(46, 200, 0, 20).taskRows).toBe(20);
  });
});

describe('p names the known workers that did not answer', () => {
  const reply = (node: string): NodeReply => ({ node, ok: true, text: 'pong' });
  it('names up to three of them, counted against the known ones', () => {
    expect(silentWorkers(['a@h', 'b@h'], [reply('a@h'), reply('b@h')])).toBe('');
    expect(silentWorkers(['a@h', 'b@h', 'c@h'], [reply('b@h')])).toBe('2 of 3 did not answer: a@h, c@h');
    const known = Array.from({ length: 200 }, (_, i) => `w${i}@h`);
    expect(silentWorkers(known, known.slice(5).map(reply))).toBe('5 of 200 did not answer: w0@h, w1@h, w2@h +2');
  });
});
