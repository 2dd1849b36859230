import { Box, Text } from 'ink';
import type { TaskRecord } from '../../events/cluster-state.js';
import { cell, fitColumns, formatAge, formatCoarseAge, formatRuntime, rangeText } from '../format.js';
import type { Theme } from '../theme.js';
import { RowText } from './row-text.js';

export interface TaskTableProps {
  /** Newest first, already filtered. */
  readonly tasks: readonly TaskRecord[];
  /** Selected uuid; undefined follows the newest (the first row). */
  readonly selected: string | undefined;
  readonly isFocused: boolean;
  readonly height: number;
  readonly width: number;
  /** Float Unix seconds, for the elapsed time of running tasks. */
  readonly nowSeconds: number;
  readonly theme: Theme;
  /** Which task retried which: a row says `retry of 1a2b3c4d` / `retried as 5e6f7a8b` before its args. */
  readonly links?: { describe(taskId: string): string } | undefined;
}

const COLUMNS = [
  { min: 1 }, // selection mark
  { min: 8 }, // state
  { min: 12, max: 40, weight: 2 }, // name
  { min: 8, max: 36, weight: 6 }, // uuid: the full id as soon as there is room
  { min: 8, weight: 2 }, // args
  { min: 10, max: 28, weight: 1 }, // worker
  { min: 8 }, // runtime, or the time left before an ETA
];

/**
 * The runtime column: how long it ran, `<10s…` or `20s…` while running (coarse: formatCoarseAge), and `in 25s` while a countdown/ETA task waits on
 * its worker, so a task held for later does not look stuck in RECEIVED.
 */
export function runtimeText(task: TaskRecord, nowSeconds: number): string {
  if (task.runtime !== undefined) return formatRuntime(task.runtime);
  if (task.state === 'STARTED' && task.started !== undefined) return `${formatCoarseAge(Math.max(0, nowSeconds - task.started))}…`;
  if (task.state === 'RECEIVED' && task.eta) {
    const eta = Date.parse(task.eta) / 1000;
    if (eta > nowSeconds) return `in ${formatAge(Math.ceil(eta - nowSeconds))}`;
  }
  return '';
}

/** The first visible row index so that the selected row is on screen. */
export function scrollOffset(index: number, height: number, total: number): number {
  return Math.max(0, Math.min(index - height + 1, total - height));
}

/** The selected row's index (the newest while following) and the first row shown, so that it is on screen. */
export function taskWindow(tasks: readonly TaskRecord[], selected: string | undefined, height: number): { index: number; offset: number } {
  const index =
    selected === undefined
      ? 0
      : Math.max(
          0,
          tasks.findIndex((t) => t.uuid === selected),
        );
  return { index, offset: scrollOffset(index, height, tasks.length) };
}

/** The tasks pane's position for its title: `11–20 of 10000`, or '' when every task fits. */
export function taskPositionText(tasks: readonly TaskRecord[], selected: string | undefined, height: number): string {
  return rangeText(taskWindow(tasks, selected, height).offset, height, tasks.length);
}

/**
 * What the visible rows show that changes with time alone (a running task's runtime, an ETA's countdown), as one
 * string; everything else in a row changes only with a task event (frame-signature.ts).
 */
export function taskRowsSignature(tasks: readonly TaskRecord[], selected: string | undefined, height: number, nowSeconds: number): string {
  const { offset } = taskWindow(tasks, selected, height);
  let out = '';
  for (const task of tasks.slice(offset, offset + height)) out += `${runtimeText(task, nowSeconds)}|`;
  return out;
}

/** The live task stream, newest first: state, name, uuid, args, worker, runtime. */
export function TaskTable({ tasks, selected, isFocused, height, width, nowSeconds, theme, links }: TaskTableProps) {
  const w = fitColumns(COLUMNS, width);
  const { index, offset } = taskWindow(tasks, selected, height);
  const visible = tasks.slice(offset, offset + height);
  const header = ['', 'STATE', 'TASK', 'UUID', 'ARGS', 'WORKER', 'RUNTIME'];
  return (
    <Box flexDirection="column" height={height + 1}>
      <RowText {...theme.columnHeader} wrap="truncate-end">
        {header.map((h, i) => cell(h, w[i]!, i === 6)).join(' ')}
      </RowText>
      {visible.length === 0 ? (
        <Text {...theme.dim}>{cell('  no tasks to show', width)}</Text>
      ) : (
        visible.map((task, i) => {
          // Only the pane with the keys shows its selection, so there is never a doubt where ↑↓ go.
          const isSelected = isFocused && offset + i === index;
          const runtime = runtimeText(task, nowSeconds);
          const link = links?.describe(task.uuid) ?? '';
          const argsText = task.args === undefined ? '' : task.kwargs && task.kwargs !== '{}' ? `${task.args} ${task.kwargs}` : task.args;
          const args = link === '' ? argsText : `[${link}] ${argsText}`.trimEnd();
          return (
            <RowText key={task.uuid} wrap="truncate-end" {...(isSelected ? theme.selected : {})}>
              {cell(isSelected ? '›' : ' ', w[0]!)} <Text {...theme.state(task.state)}>{cell(task.state, w[1]!)}</Text>{' '}
              {[
                cell(task.name ?? '?', w[2]!),
                task.uuid.slice(0, w[3]).padEnd(w[3]!),
                cell(args, w[4]!),
                cell(task.worker ?? task.client ?? '', w[5]!),
                cell(runtime, w[6]!, true),
              ].join(' ')}
            </RowText>
          );
        })
      )}
    </Box>
  );
}
