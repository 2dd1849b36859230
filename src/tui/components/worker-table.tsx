import { Box, Text } from 'ink';
import type { WorkerRow } from '../../events/selectors.js';
import { cell, fitColumns, formatAge, formatLoad } from '../format.js';
import type { Theme } from '../theme.js';

export interface WorkerTableProps {
  readonly rows: readonly WorkerRow[];
  readonly selected: string | undefined;
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

/** Workers: online/offline by heartbeat, the age of the last one ticking, active, processed, load average. */
export function WorkerTable({ rows, selected, isFocused, height, width, theme }: WorkerTableProps) {
  const w = fitColumns(COLUMNS, width);
  const index = Math.max(
    0,
    rows.findIndex((r) => r.hostname === selected),
  );
  const offset = Math.max(0, Math.min(index - height + 1, rows.length - height));
  const visible = rows.slice(offset, offset + height);
  const header = ['', 'WORKER', 'STATUS', 'SEEN', 'ACTIVE', 'PROCESSED', 'LOAD', 'SOFTWARE'];
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text {...theme.columnHeader} wrap="truncate-end">
        {header.map((h, i) => cell(h, w[i]!, i >= 3 && i <= 5)).join(' ')}
      </Text>
      {visible.length === 0 ? (
        <Text {...theme.dim}>{cell('  no workers yet: waiting for worker events (start workers with -E for task events)', width)}</Text>
      ) : (
        visible.map((row) => {
          // Only the pane with the keys shows its selection, so there is never a doubt where ↑↓ go.
          const isSelected = isFocused && (row.hostname === selected || (selected === undefined && row === rows[0]));
          const status = row.isOnline ? 'online' : 'offline';
          const rest = [
            cell(formatAge(row.seenAge), w[3]!, true),
            cell(row.active === undefined ? '-' : String(row.active), w[4]!, true),
            cell(row.processed === undefined ? '-' : String(row.processed), w[5]!, true),
            cell(formatLoad(row.loadavg), w[6]!),
            cell(row.software, w[7]!),
          ].join(' ');
          return (
            <Text key={row.hostname} wrap="truncate-end" {...(isSelected ? theme.selected : {})}>
              {cell(isSelected ? '›' : ' ', w[0]!)} {cell(row.hostname, w[1]!)} <Text {...theme.online(row.isOnline)}>{cell(status, w[2]!)}</Text>{' '}
              {rest}
            </Text>
          );
        })
      )}
    </Box>
  );
}
