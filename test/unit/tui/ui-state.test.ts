import { describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import { editLine, lineEditor } from '../../../src/tui/state/line-editor.js';
import { initialUiState, uiReducer, type UiAction, type UiState } from '../../../src/tui/state/ui-reducer.js';
import { overviewLayout } from '../../../src/tui/layout.js';
import { summarizeReplies } from '../../../src/tui/hooks/use-view-actions.js';
import { cell, fitColumns, formatAge, formatRuntime, sparkline, truncateMiddle, wrapLines, wrapWords } from '../../../src/tui/format.js';

const noKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};
const reduce = (actions: UiAction[], from: UiState = initialUiState) => actions.reduce(uiReducer, from);

describe('uiReducer', () => {
  it('cycles the state filter through every state and back to none, resetting the selection', () => {
    let s = reduce([{ type: 'select-task', uuid: 'x' }]);
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 9; i++) {
      s = uiReducer(s, { type: 'cycle-state-filter' });
      seen.push(s.filter.state);
    }
    expect(seen).toEqual(['RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED', 'PENDING', undefined]);
    expect(s.selectedTask).toBeUndefined();
  });

  it('toggles name and worker filters', () => {
    const on = reduce([{ type: 'toggle-filter', field: 'name', value: 'tasks.add' }]);
    expect(on.filter.name).toBe('tasks.add');
    expect(uiReducer(on, { type: 'toggle-filter', field: 'name', value: 'tasks.add' }).filter.name).toBeUndefined();
    expect(uiReducer(on, { type: 'toggle-filter', field: 'name', value: 'tasks.fail' }).filter.name).toBe('tasks.fail');
  });

  it('search edits the query live; cancel restores the previous query, accept keeps it', () => {
    const base = reduce([{ type: 'open-prompt', prompt: { kind: 'search', editor: lineEditor('old'), previous: 'old' } }]);
    const typed = uiReducer(base, { type: 'edit-prompt', editor: lineEditor('boom') });
    expect(typed.filter.query).toBe('boom');
    expect(uiReducer(typed, { type: 'close-prompt', isCancel: true }).filter.query).toBe('old');
    expect(uiReducer(typed, { type: 'close-prompt', isCancel: false }).filter.query).toBe('boom');
  });

  it('the shell keeps history without blank or repeated lines and browses it', () => {
    let s = reduce([
      { type: 'shell-submit', line: 'a', prompt: '1> ' },
      { type: 'shell-result', text: 'ok.\n', isError: false },
      { type: 'shell-submit', line: 'a', prompt: '1> ' },
      { type: 'shell-submit', line: '', prompt: '1> ' },
      { type: 'shell-submit', line: 'b', prompt: '1> ' },
    ]);
    expect(s.shell.history).toEqual(['a', 'b']);
    expect(s.shell.lines.map((l) => l.text)).toEqual(['1> a', 'ok.', '1> a', '1> ', '1> b']);
    s = reduce(
      [
        { type: 'shell-history', delta: -1 },
        { type: 'shell-history', delta: -1 },
        { type: 'shell-history', delta: -1 },
      ],
      s,
    );
    expect(s.shell.editor.value).toBe('a');
    s = reduce(
      [
        { type: 'shell-history', delta: 1 },
        { type: 'shell-history', delta: 1 },
      ],
      s,
    );
    expect(s.shell.editor.value).toBe('');
  });

  it('a time range: a wrong answer keeps the prompt with the error and the range as it was; set-time-range closes it', () => {
    const window = { since: 1_000, until: 2_000 };
    const shown: UiState = { ...initialUiState, timeRange: window, selectedTask: 'abc', notice: { text: 'pong', tone: 'info' } };
    let s = uiReducer(shown, { type: 'open-prompt', prompt: { kind: 'time-range', editor: lineEditor('14:61') } });
    s = uiReducer(s, { type: 'prompt-error', error: "'14:61' is not a time" });
    expect(s.prompt).toMatchObject({ kind: 'time-range', error: "'14:61' is not a time" });
    expect(s.timeRange).toBe(window);
    // Typing clears the error; Esc leaves everything as it was.
    s = uiReducer(s, { type: 'edit-prompt', editor: lineEditor('14:0') });
    expect(s.prompt).toMatchObject({ kind: 'time-range', error: undefined });
    expect(uiReducer(s, { type: 'close-prompt', isCancel: true })).toMatchObject({ prompt: undefined, timeRange: window, selectedTask: 'abc' });
    const next = { since: 0, until: 1_000 };
    expect(uiReducer(s, { type: 'set-time-range', window: next })).toMatchObject({
      prompt: undefined,
      timeRange: next,
      selectedTask: undefined,
      notice: undefined,
    });
    expect(uiReducer(shown, { type: 'set-time-range', window: undefined }).timeRange).toBeUndefined();
  });

  it('details scroll stays within bounds', () => {
    const s = reduce([
      { type: 'open-screen', screen: 'details', uuid: 'u' },
      { type: 'scroll-details', delta: 50, max: 7 },
    ]);
    expect(s.detailsScroll).toBe(7);
    expect(uiReducer(s, { type: 'scroll-details', delta: -50, max: 7 }).detailsScroll).toBe(0);
  });
});

describe('editLine', () => {
  it('inserts, moves, erases and leaves Enter/Escape to the caller', () => {
    let e = lineEditor('ac');
    e = editLine({ ...e, cursor: 1 }, 'b', noKey)!;
    expect(e).toEqual({ value: 'abc', cursor: 2 });
    e = editLine(e, '', { ...noKey, backspace: true })!;
    expect(e).toEqual({ value: 'ac', cursor: 1 });
    expect(editLine(e, 'a', { ...noKey, ctrl: true })).toEqual({ value: 'ac', cursor: 0 });
    expect(editLine(lineEditor('one two'), 'w', { ...noKey, ctrl: true })).toEqual({ value: 'one ', cursor: 4 });
    expect(editLine(e, '', { ...noKey, return: true })).toBeUndefined();
    expect(editLine(e, '', { ...noKey, escape: true })).toBeUndefined();
    expect(editLine(lineEditor(), 'pasted\ntext', noKey)).toEqual({ value: 'pastedtext', cursor: 10 });
  });
});

describe('layout and formatting', () => {
  it('shares 80×24 between workers, tasks and rates, and drops rates when short', () => {
    const l = overviewLayout(23, 2, 3);
    expect(l.workerRows + l.taskRows + l.rateRows + (l.rateRows > 0 ? 1 : 0) + 7).toBe(23);
    expect(l.workerRows).toBe(2);
    expect(l.taskRows).toBeGreaterThanOrEqual(8);
    expect(overviewLayout(14, 5, 3).rateRows).toBe(0);
  });

  it('fits columns to the width, shrinking the last ones when even the minimums do not fit', () => {
    expect(fitColumns([{ min: 2 }, { min: 4, weight: 1 }, { min: 3 }], 20)).toEqual([2, 13, 3]);
    expect(
      fitColumns(
        [
          { min: 5, max: 6, weight: 1 },
          { min: 5, weight: 1 },
        ],
        20,
      ),
    ).toEqual([6, 13]);
    expect(fitColumns([{ min: 5 }, { min: 5 }], 8)).toEqual([5, 2]);
  });

  it('formats cells, ages, runtimes, sparklines and wraps', () => {
    expect(cell('a\nb', 5)).toBe('a⏎b  ');
    expect(cell('abcdef', 4)).toBe('abc…');
    expect(cell('7', 3, true)).toBe('  7');
    expect(truncateMiddle('amqp://guest:**@host:5672/prod', 20)).toBe('amqp://gue…5672/prod');
    expect([formatAge(3.9), formatAge(125), formatAge(7300), formatAge(undefined)]).toEqual(['3s', '2m05s', '2h01m', '-']);
    expect([formatRuntime(0.0003), formatRuntime(0.0125), formatRuntime(1.234)]).toEqual(['300µs', '13ms', '1.23s']);
    expect(sparkline([0, 1, 2, 4], 6)).toBe('   ▂▄█');
    expect(wrapLines('abcdef\ngh', 4)).toEqual(['abcd', 'ef', 'gh']);
    expect(wrapWords('revoke the selected task', 10)).toEqual(['revoke the', 'selected', 'task']);
    expect(wrapWords('a verylongword', 4)).toEqual(['a', 'very', 'long', 'word']);
    expect(wrapWords('', 4)).toEqual(['']);
  });
});

describe('summarizeReplies', () => {
  const reply = (node: string, text: string, ok = true) => ({ node, text, ok });

  it('groups identical replies so a large cluster fits one line', () => {
    expect(summarizeReplies([reply('w1@vm', 'pong'), reply('w2@vm', 'pong')])).toEqual({ text: 'w1@vm, w2@vm: pong', isOk: true });
    const many = Array.from({ length: 10 }, (_, i) => reply(`w${i}@vm`, 'pong'));
    expect(summarizeReplies(many).text).toBe('w0@vm, w1@vm, w2@vm +7: pong');
    expect(summarizeReplies([])).toEqual({ text: 'no worker replied', isOk: false });
  });

  it("puts the task's own worker first, then errors, then the rest as they came", () => {
    const replies = [
      reply('a@vm', 'terminate: tasks unknown'),
      reply('b@vm', 'unknown task', false),
      reply('c@vm', 'terminate: 42'),
      reply('d@vm', 'terminate: tasks unknown'),
    ];
    expect(summarizeReplies(replies, 'c@vm')).toEqual({
      text: 'c@vm: terminate: 42; b@vm: unknown task; a@vm, d@vm: terminate: tasks unknown',
      isOk: false,
    });
    expect(summarizeReplies(replies).text).toBe('b@vm: unknown task; a@vm, d@vm: terminate: tasks unknown; c@vm: terminate: 42');
    expect(summarizeReplies([reply('a@vm', 'pong'), reply('b@vm', 'pong')], 'b@vm').text).toBe('b@vm, a@vm: pong');
  });
});
