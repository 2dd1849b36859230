import { Box, Text, type Key } from 'ink';
import { useMemo, type MutableRefObject, type ReactElement } from 'react';
import type { TaskRecord } from '../../events/cluster-state.js';
import type { GroupRetryPlan, RetryPlan } from '../../dispatch/retry-plan.js';
import type { RetrySent } from '../../dispatch/task-dispatcher.js';
import { failedAt, groupFailures, type FailureGroup } from '../../failures/failure-groups.js';
import type { RetryLinks } from '../../failures/retry-links.js';
import { SectionTitle } from '../components/section-title.js';
import { cell, fitColumns, formatAge, oneLine, truncate, wrapWords } from '../format.js';
import type { Theme } from '../theme.js';

/** What the failures screen retries with: the dry run (planGroupRetry) and the send (TaskDispatcher.retryGroup). */
export interface FailureRetryActions {
  plan(tasks: readonly TaskRecord[]): GroupRetryPlan;
  send(plan: GroupRetryPlan): Promise<RetrySent[]>;
  /** Why retries are off (a replay has no broker), one line; undefined when they are on. */
  readonly unavailable?: string | undefined;
}

/** The screen's own state, kept by the app so it survives a visit to a task's details. */
export interface FailuresUi {
  /** The group whose tasks are listed; undefined lists the groups. */
  readonly group: string | undefined;
  readonly selected: number;
  /** A retry's dry run waiting for y/n. */
  readonly confirm: { readonly plan: GroupRetryPlan; readonly what: string } | undefined;
  readonly message: { readonly text: string; readonly tone: 'info' | 'error' | 'success' | 'pending' } | undefined;
}

export const initialFailuresUi: FailuresUi = { group: undefined, selected: 0, confirm: undefined, message: undefined };

export interface FailuresScreenProps {
  readonly tasks: ReadonlyMap<string, TaskRecord>;
  /** Changes whenever the tasks do (the snapshot's version): regroups only then. */
  readonly version: number;
  /** The time range the tasks are from (`14:00–14:30`), '' for all the view holds. */
  readonly scope?: string;
  readonly ui: FailuresUi;
  readonly setUi: (update: (ui: FailuresUi) => FailuresUi) => void;
  readonly links: RetryLinks;
  readonly retry: FailureRetryActions | undefined;
  readonly onOpenTask: (uuid: string) => void;
  readonly onBack: () => void;
  readonly onQuit: () => void;
  /**
   * Where the screen puts its key handler, set as it renders: the app's one input handler calls it (a useInput of
   * the screen's own would subscribe only after its first frame, and miss keys typed right away).
   */
  readonly keys: MutableRefObject<((input: string, key: Key) => void) | undefined>;
  readonly nowMs: number;
  readonly height: number;
  readonly width: number;
  readonly theme: Theme;
}

/** `3 would be sent, 1 refused`, and a line per task: what goes, or why not. */
export function dryRunLines(plan: GroupRetryPlan): string[] {
  const lines = [`dry run: ${plan.plans.length} would be sent, ${plan.refused.length} refused`];
  for (const p of plan.plans) lines.push(`  send   ${p.retryOf.slice(0, 8)} ${p.name}${describePlan(p)}`);
  for (const r of plan.refused) lines.push(`  refuse ${r.taskId.slice(0, 8)} ${r.name}: ${r.reason}`);
  return lines;
}

function describePlan(plan: RetryPlan): string {
  if (plan.kind === 'tapped') return ' (the tapped message, as published)';
  return ` args=${JSON.stringify(plan.args)} kwargs=${JSON.stringify(plan.kwargs)} → ${plan.queue}`;
}

/**
 * The failures screen (`F`): failed tasks grouped by exception type and task name (the journal's history and what
 * the view saw live), with counts, first and last seen, workers and the newest traceback. Enter lists a group's
 * tasks, Enter on one opens its details; `r` retries the selected task, `R` the whole group, after a dry run and y/n.
 */
export function FailuresScreen(props: FailuresScreenProps) {
  const { tasks, version, ui, links, nowMs, height, width, theme } = props;
  // The map is mutated in place: its version says when to regroup.
  const groups = useMemo(() => groupFailures(tasks.values()), [tasks, version]);
  const group = ui.group === undefined ? undefined : groups.find((g) => g.key === ui.group);
  props.keys.current = (input, key) => handleFailuresKey(props, groups, group, input, key);

  const lines: ReactElement[] = [];
  const body = Math.max(1, height - 1);
  if (ui.confirm) {
    // Wrapped, not cut: a refusal's reason is what the user needs to read whole.
    const wrapped = dryRunLines(ui.confirm.plan).flatMap((line) => {
      const indent = line.length - line.trimStart().length;
      const isRefusal = line.startsWith('  refuse');
      return wrapWords(line.trimStart(), Math.max(20, width - indent - 9)).map((part, j) => ({
        text: `${' '.repeat(j === 0 ? indent : indent + 7)}${part}`,
        isRefusal,
      }));
    });
    for (const [i, line] of wrapped.entries())
      lines.push(
        <Text key={`d${i}`} {...(line.isRefusal ? theme.error : {})}>
          {cell(line.text, width)}
        </Text>,
      );
    lines.push(
      <Text key="ask" {...theme.pending}>
        {cell(
          ui.confirm.plan.plans.length > 0
            ? `Retry ${ui.confirm.what}: send ${ui.confirm.plan.plans.length}? y send · n cancel`
            : 'Nothing to send: any key comes back',
          width,
        )}
      </Text>,
    );
  } else if (group === undefined) {
    lines.push(...groupLines(groups, ui.selected, body, nowMs, width, theme, props.scope));
  } else {
    lines.push(...taskLines(group, ui.selected, links, body, nowMs, width, theme));
  }
  const shown = lines.slice(0, body - (ui.message ? 1 : 0));
  const scope = props.scope ? ` in ${props.scope}` : '';
  const title = group === undefined ? `Failures${scope}` : `Failures${scope} › ${group.exceptionType} in ${group.name}`;
  const detail =
    group === undefined
      ? `${groups.length} group${groups.length === 1 ? '' : 's'}, ${groups.reduce((n, g) => n + g.count, 0)} failed tasks · ⏎ tasks · R retry group · Esc back`
      : `${group.count} tasks · ⏎ details · r retry task · R retry all · Esc groups`;
  return (
    <Box flexDirection="column" height={height}>
      <SectionTitle title={title} detail={detail} isFocused width={width} theme={theme} />
      {shown}
      {ui.message ? (
        <Text
          {...(ui.message.tone === 'error'
            ? theme.error
            : ui.message.tone === 'success'
              ? theme.success
              : ui.message.tone === 'pending'
                ? theme.pending
                : {})}
        >
          {cell(ui.message.text, width)}
        </Text>
      ) : null}
    </Box>
  );
}

function groupLines(
  groups: readonly FailureGroup[],
  selected: number,
  body: number,
  nowMs: number,
  width: number,
  theme: Theme,
  scope?: string,
): ReactElement[] {
  if (groups.length === 0)
    return [
      <Text key="none" {...theme.dim}>
        {cell(scope ? ` No failed task in ${scope}.` : ' No failed task in the history or since the view started.', width)}
      </Text>,
    ];
  const [count, type, name, first, last, workers] = fitColumns(
    [{ min: 5 }, { min: 12, max: 30, weight: 2 }, { min: 12, max: 36, weight: 2 }, { min: 9 }, { min: 9 }, { min: 10, weight: 2 }],
    width,
  );
  const out: ReactElement[] = [
    <Text key="h" {...theme.columnHeader}>
      {[
        cell('COUNT', count!, true),
        cell('EXCEPTION', type!),
        cell('TASK', name!),
        cell('FIRST', first!),
        cell('LAST', last!),
        cell('WORKERS', workers!),
      ].join(' ')}
    </Text>,
  ];
  const exampleLines = 4;
  const rows = Math.max(1, body - 1 - exampleLines - 1);
  const start = Math.max(0, Math.min(selected - rows + 1, groups.length - rows));
  for (const [i, g] of groups.slice(start, start + rows).entries()) {
    const isSelected = start + i === selected;
    out.push(
      <Text key={g.key} inverse={isSelected}>
        {[
          cell(String(g.count), count!, true),
          cell(g.exceptionType, type!),
          cell(g.name, name!),
          cell(`${formatAge(nowMs / 1000 - g.firstSeen)} ago`, first!),
          cell(`${formatAge(nowMs / 1000 - g.lastSeen)} ago`, last!),
          cell(g.workers.join(', '), workers!),
        ].join(' ')}
      </Text>,
    );
  }
  const chosen = groups[Math.min(selected, groups.length - 1)];
  if (chosen) {
    out.push(
      <Text key="ex" bold>
        {cell(` example ${chosen.example.uuid.slice(0, 8)}: ${oneLine(chosen.example.exception)}`, width)}
      </Text>,
    );
    const tb = (chosen.example.traceback ?? '(no traceback)')
      .trimEnd()
      .split('\n')
      .slice(-(exampleLines - 1));
    for (const [i, line] of tb.entries())
      out.push(
        <Text key={`tb${i}`} {...theme.dim}>
          {cell(`   ${line}`, width)}
        </Text>,
      );
  }
  return out;
}

function taskLines(
  group: FailureGroup,
  selected: number,
  links: RetryLinks,
  body: number,
  nowMs: number,
  width: number,
  theme: Theme,
): ReactElement[] {
  const [age, id, worker, args, exception, link] = fitColumns(
    [
      { min: 9 },
      { min: 8, max: 8 },
      { min: 10, max: 30, weight: 1 },
      { min: 10, max: 40, weight: 2 },
      { min: 12, weight: 2 },
      { min: 12, max: 40, weight: 1 },
    ],
    width,
  );
  const out: ReactElement[] = [
    <Text key="h" {...theme.columnHeader}>
      {[
        cell('FAILED', age!),
        cell('TASK ID', id!),
        cell('WORKER', worker!),
        cell('ARGS', args!),
        cell('EXCEPTION', exception!),
        cell('RETRY', link!),
      ].join(' ')}
    </Text>,
  ];
  const rows = Math.max(1, body - 1);
  const start = Math.max(0, Math.min(selected - rows + 1, group.tasks.length - rows));
  for (const [i, t] of group.tasks.slice(start, start + rows).entries()) {
    out.push(
      <Text key={t.uuid} inverse={start + i === selected}>
        {[
          cell(`${formatAge(nowMs / 1000 - failedAt(t))} ago`, age!),
          cell(t.uuid.slice(0, 8), id!),
          cell(t.worker ?? '', worker!),
          cell(oneLine(truncate(`${t.args ?? '?'} ${t.kwargs ?? ''}`, 200)), args!),
          cell(oneLine(t.exception ?? ''), exception!),
          cell(links.describe(t.uuid), link!),
        ].join(' ')}
      </Text>,
    );
  }
  return out;
}

function handleFailuresKey(
  props: FailuresScreenProps,
  groups: readonly FailureGroup[],
  group: FailureGroup | undefined,
  input: string,
  key: Key,
): void {
  const { ui, setUi, retry } = props;
  if (ui.confirm) {
    const confirm = ui.confirm;
    if (input === 'y' && confirm.plan.plans.length > 0 && retry) {
      setUi((u) => ({ ...u, confirm: undefined, message: { text: `sending ${confirm.plan.plans.length} retries…`, tone: 'pending' } }));
      retry.send(confirm.plan).then(
        (sent) => {
          for (const s of sent) props.links.add(s.retryOf, s.id);
          const pairs = sent.map((s) => `${s.retryOf.slice(0, 8)} → ${s.id.slice(0, 8)}`).join(', ');
          const refused = confirm.plan.refused.length > 0 ? `; ${confirm.plan.refused.length} refused` : '';
          setUi((u) => ({ ...u, message: { text: `retried ${sent.length}: ${pairs}${refused}`, tone: 'success' } }));
        },
        (err: unknown) => setUi((u) => ({ ...u, message: { text: err instanceof Error ? err.message : String(err), tone: 'error' } })),
      );
      return;
    }
    setUi((u) => ({ ...u, confirm: undefined, message: { text: 'retry cancelled', tone: 'info' } }));
    return;
  }
  const count = group === undefined ? groups.length : group.tasks.length;
  if (input === 'q') return props.onQuit();
  if (key.escape || key.leftArrow || key.backspace || key.delete) {
    if (group === undefined) return props.onBack();
    const back = Math.max(
      0,
      groups.findIndex((g) => g.key === group.key),
    );
    return setUi(() => ({ ...initialFailuresUi, selected: back }));
  }
  const delta = key.upArrow || input === 'k' ? -1 : key.downArrow || input === 'j' ? 1 : key.pageUp ? -10 : key.pageDown ? 10 : 0;
  if (delta !== 0) return setUi((u) => ({ ...u, message: undefined, selected: Math.max(0, Math.min(count - 1, u.selected + delta)) }));
  const selectedGroup = group ?? groups[Math.min(ui.selected, groups.length - 1)];
  if (key.return) {
    if (group === undefined && selectedGroup) return setUi(() => ({ ...initialFailuresUi, group: selectedGroup.key }));
    const task = group?.tasks[Math.min(ui.selected, group.tasks.length - 1)];
    if (task) props.onOpenTask(task.uuid);
    return;
  }
  if (input === 'r' || input === 'R') {
    if (retry === undefined || retry.unavailable !== undefined) {
      return setUi((u) => ({ ...u, message: { text: retry?.unavailable ?? 'retry is not available in this view', tone: 'error' } }));
    }
    if (!selectedGroup) return;
    const one = input === 'r' && group !== undefined ? group.tasks[Math.min(ui.selected, group.tasks.length - 1)] : undefined;
    if (input === 'r' && one === undefined) {
      return setUi((u) => ({ ...u, message: { text: 'r retries one task: ⏎ lists the group’s tasks; R retries the whole group', tone: 'info' } }));
    }
    const targets = one ? [one] : selectedGroup.tasks;
    const what = one
      ? `${one.name ?? ''}[${one.uuid.slice(0, 8)}]`
      : `${selectedGroup.count} × ${selectedGroup.name} (${selectedGroup.exceptionType})`;
    return setUi((u) => ({ ...u, message: undefined, confirm: { plan: retry.plan(targets), what } }));
  }
}
