import { Box, Text } from 'ink';
import { useSyncExternalStore, type ReactElement } from 'react';
import type { BeatBoard, BeatBoardSnapshot } from '../../beat/beat-board.js';
import { selectBeats } from '../../beat/beat-board.js';
import { SectionTitle } from '../components/section-title.js';
import { cell, fitColumns, formatAge } from '../format.js';
import type { Theme } from '../theme.js';

/** What the beat screen reads: the board's external-store pair. */
export type BeatBoardLike = Pick<BeatBoard, 'subscribe' | 'getSnapshot'>;

export interface BeatScreenProps {
  /** Undefined when the view has no board (a library user's app): the screen says so. */
  readonly beats: BeatBoardLike | undefined;
  readonly nowMs: number;
  readonly height: number;
  readonly width: number;
  readonly theme: Theme;
}

const EMPTY: BeatBoardSnapshot = { version: 0, beats: [] };
const noSubscribe = () => () => {};
const emptySnapshot = () => EMPTY;

/** `in 42s` / `3s late` from now to a time in epoch seconds. */
function untilText(atSeconds: number, nowMs: number): string {
  const left = atSeconds - nowMs / 1000;
  return left >= 0 ? `in ${formatAge(left)}` : `${formatAge(-left)} late`;
}

/** What the beat screen shows that changes with time alone (liveness, next and last run), for the live frame's signature. */
export function beatScreenSignature(beats: BeatBoardLike | undefined, nowMs: number): string {
  if (beats === undefined) return '';
  return selectBeats(beats.getSnapshot(), nowMs)
    .map((view) =>
      [
        view.isOnline ? 'running' : formatAge((nowMs - view.receivedAt) / 1000),
        ...view.schedule.entries.map(
          (e) => `${untilText(e.next_run_at, nowMs)} ${e.last_run_at === null ? '-' : formatAge(nowMs / 1000 - e.last_run_at)}`,
        ),
      ].join('|'),
    )
    .join('\n');
}

/**
 * The beat screen (`B`): each beat that announced its schedule on `celeryev` (`camq beat`, `camq worker -B`), with
 * its lock and zone, and per entry the task, the schedule, the next run and the last one. A beat silent for three
 * announcement periods, or one that said `beat-offline`, shows as gone.
 */
export function BeatScreen({ beats, nowMs, height, width, theme }: BeatScreenProps) {
  const snapshot = useSyncExternalStore(beats?.subscribe ?? noSubscribe, beats?.getSnapshot ?? emptySnapshot, beats?.getSnapshot ?? emptySnapshot);
  const views = selectBeats(snapshot, nowMs);
  const [name, task, schedule, next, last, runs] = fitColumns(
    [{ min: 12, max: 32, weight: 2 }, { min: 10, max: 32, weight: 2 }, { min: 12, max: 40, weight: 3 }, { min: 12 }, { min: 12 }, { min: 5 }],
    width,
  );
  const lines: ReactElement[] = [];
  if (views.length === 0) {
    lines.push(
      <Text key="none" {...theme.dim}>
        {cell(
          beats ? ' No beat has announced a schedule on this broker yet (camq beat announces every 5 s).' : ' This view has no beat board.',
          width,
        )}
      </Text>,
    );
  }
  for (const view of views) {
    const s = view.schedule;
    const state = view.isOnline ? 'running' : `gone (last heard ${formatAge((nowMs - view.receivedAt) / 1000)} ago)`;
    lines.push(
      <SectionTitle
        key={`t-${view.hostname}`}
        title={view.hostname}
        detail={`${state} · lock ${s.lock} · zone ${s.timezone} · ${s.entries.length} entries`}
        width={width}
        theme={theme}
      />,
    );
    lines.push(
      <Text key={`h-${view.hostname}`} {...theme.columnHeader}>
        {[
          cell('NAME', name!),
          cell('TASK', task!),
          cell('SCHEDULE', schedule!),
          cell('NEXT RUN', next!),
          cell('LAST RUN', last!),
          cell('RUNS', runs!, true),
        ].join(' ')}
      </Text>,
    );
    for (const e of s.entries) {
      lines.push(
        <Text key={`e-${view.hostname}-${e.name}`} {...(view.isOnline ? {} : theme.dim)}>
          {[
            cell(e.name, name!),
            cell(e.task, task!),
            cell(e.schedule, schedule!),
            cell(untilText(e.next_run_at, nowMs), next!),
            cell(e.last_run_at === null ? '-' : `${formatAge(nowMs / 1000 - e.last_run_at)} ago`, last!),
            cell(String(e.total_run_count), runs!, true),
          ].join(' ')}
        </Text>,
      );
    }
  }
  return (
    <Box flexDirection="column" height={height}>
      <SectionTitle title="Beat" detail="periodic tasks, as the running beats announce them" width={width} theme={theme} />
      {lines.slice(0, Math.max(0, height - 1))}
    </Box>
  );
}
