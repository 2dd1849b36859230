import { Box, Text } from 'ink';
import type { WorkerPaneRow, WorkerRow, WorkerSummary } from '../../events/selectors.js';
import { cell, fitColumns, FRESH_SEEN_SECONDS, formatLoad, formatCoarseAge, rangeText } from '../format.js';
import type { Theme } from '../theme.js';
import { RowText } from './row-text.js';

export interface WorkerTableProps {
  readonly rows: readonly WorkerPaneRow[];
  /** The selected row's key. */
  readonly selected: string | undefined;
  /** Index of the first row shown (kept within the rows by the view). */
  readonly scroll: number;
  readonly isFocused: boolean;
  /** Body rows available (the column header is extra). */
  readonly height: number;
  readonly width: number;
  readonly theme: Theme;
}

const COLUMNS = [
  { min: 1 }, // selection mark
  { min: 12, max: 40, weight: 2 }, // hostname
  { min: 7 }, // status
  { min: 6 }, // heartbeat age
  { min: 6 }, // active
  { min: 9 }, // processed
  { min: 14, max: 17, weight: 0.2 }, // load
  { min: 0, weight: 1 }, // software
];

/** The first row shown: the pane's scroll, held within the rows when they got fewer (the last page may be short). */
export function firstShownRow(scroll: number, rowCount: number, height: number): number {
  const page = Math.max(1, height);
  const lastStart = rowCount === 0 ? 0 : Math.floor((rowCount - 1) / page) * page;
  return Math.max(0, Math.min(scroll, lastStart));
}

/** The pane's position for its title: `11–20 of 200`, or '' when every row fits. */
export function positionText(scroll: number, rowCount: number, height: number): string {
  return rangeText(firstShownRow(scroll, rowCount, height), height, rowCount);
}

/**
 * The summary for the workers pane's title: counts, and the online worker heard from longest ago, unless every online
 * worker was heard from in the last 10 s (with workers heartbeating every 2 s the stalest one's name changed every
 * second, redrawing the view for nothing).
 */
export function workerSummaryText(s: WorkerSummary): string {
  const stalest = !s.stalest
    ? ''
    : s.stalest.seenAge < FRESH_SEEN_SECONDS
      ? ` · all seen ${formatCoarseAge(s.stalest.seenAge)}`
      : ` · stalest ${s.stalest.hostname} ${formatCoarseAge(s.stalest.seenAge)}`;
  return `${s.online} online · ${s.offline} offline · ${s.busy} busy${stalest}`;
}

function groupText(row: Extract<WorkerPaneRow, { kind: 'group' }>): string {
  const s = row.summary;
  return `${row.isExpanded ? '▾' : '▸'} ${row.name}  ${s.total} worker${s.total === 1 ? '' : 's'}: ${s.online} online · ${s.offline} offline · ${s.busy} busy`;
}

/** The visible rows: the pane's page holding `scroll`. */
export function visibleWorkerRows(rows: readonly WorkerPaneRow[], scroll: number, height: number): readonly WorkerPaneRow[] {
  const offset = firstShownRow(scroll, rows.length, height);
  return rows.slice(offset, offset + height);
}

/** What a worker row shows besides its name and the selection: status, SEEN, ACTIVE, PROCESSED, LOAD, SOFTWARE. */
export function workerCells(row: WorkerRow): readonly string[] {
  return [
    row.isOnline ? 'online' : 'offline',
    formatCoarseAge(row.seenAge),
    row.active === undefined ? '-' : String(row.active),
    row.processed === undefined ? '-' : String(row.processed),
    formatLoad(row.loadavg),
    row.software,
  ];
}

/** Everything the visible rows show, as one string: the live view redraws when it changes (frame-signature.ts). */
export function workerRowsSignature(rows: readonly WorkerPaneRow[]): string {
  let out = '';
  for (const r of rows)
    out += r.kind === 'group' ? `${groupText(r)}|${r.summary.offline}\n` : `${r.worker.hostname}|${workerCells(r.worker).join('|')}\n`;
  return out;
}

/** Workers: online/offline by heartbeat, the age of the last one ticking, active, processed, load average; or groups. */
export function WorkerTable({ rows, selected, scroll, isFocused, height, width, theme }: WorkerTableProps) {
  const w = fitColumns(COLUMNS, width);
  const visible = visibleWorkerRows(rows, scroll, height);
  const header = ['', 'WORKER', 'STATUS', 'SEEN', 'ACTIVE', 'PROCESSED', 'LOAD', 'SOFTWARE'];
  return (
    <Box flexDirection="column" height={height + 1}>
      <RowText {...theme.columnHeader} wrap="truncate-end">
        {header.map((h, i) => cell(h, w[i]!, i >= 3 && i <= 5)).join(' ')}
      </RowText>
      {visible.length === 0 ? (
        <Text {...theme.dim}>{cell('  no workers yet: waiting for worker events (start workers with -E for task events)', width)}</Text>
      ) : (
        visible.map((paneRow) => {
          // Only the pane with the keys shows its selection, so there is never a doubt where ↑↓ go.
          const isSelected = isFocused && (paneRow.key === selected || (selected === undefined && paneRow === rows[0]));
          if (paneRow.kind === 'group') {
            return (
              <RowText
                key={paneRow.key}
                wrap="truncate-end"
                {...(isSelected ? theme.selected : paneRow.summary.offline > 0 ? theme.online(false) : {})}
              >
                {cell(isSelected ? '›' : ' ', w[0]!)} {groupText(paneRow)}
              </RowText>
            );
          }
          const row: WorkerRow = paneRow.worker;
          const [status, seen, active, processed, load, software] = workerCells(row) as [string, string, string, string, string, string];
          const rest = [
            cell(seen, w[3]!, true),
            cell(active, w[4]!, true),
            cell(processed, w[5]!, true),
            cell(load, w[6]!),
            cell(software, w[7]!),
          ].join(' ');
          return (
            <RowText key={row.hostname} wrap="truncate-end" {...(isSelected ? theme.selected : {})}>
              {cell(isSelected ? '›' : ' ', w[0]!)} {cell(row.hostname, w[1]!)} <Text {...theme.online(row.isOnline)}>{cell(status, w[2]!)}</Text>{' '}
              {rest}
            </RowText>
          );
        })
      )}
    </Box>
  );
}
