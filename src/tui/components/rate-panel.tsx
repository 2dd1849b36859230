import { Box, Text } from 'ink';
import type { RateRow } from '../../events/selectors.js';
import { cell, fitColumns, formatRate, formatRuntime, resample, sparkline } from '../format.js';
import type { Theme } from '../theme.js';
import { RowText } from './row-text.js';

export interface RatePanelProps {
  readonly rows: readonly RateRow[];
  readonly height: number;
  readonly width: number;
  readonly theme: Theme;
  /** The series spans a time range: shown whole (coarser to fit) instead of its newest seconds. */
  readonly isWholeSeries?: boolean | undefined;
}

const COLUMNS = [
  { min: 12, max: 40, weight: 1 }, // name
  { min: 10, max: 60, weight: 2 }, // sparkline
  { min: 8 }, // rate
  { min: 8 }, // ok
  { min: 6 }, // failed
  { min: 7 }, // mean runtime
];

/** Everything the panel's rows show, as one string: the live view redraws when it changes (frame-signature.ts). */
export function rateRowsSignature(rows: readonly RateRow[], height: number): string {
  let out = '';
  for (const row of rows.slice(0, height)) {
    out += `${row.name}|${formatRate(row.perSecond)}|${row.series.join(',')}|${row.counts.succeeded}|${row.counts.failed}|${formatRuntime(row.meanRuntime)}\n`;
  }
  return out;
}

/** Per task name: finished per second as a sparkline and a figure, succeeded and failed counts, mean runtime. */
export function RatePanel({ rows, height, width, theme, isWholeSeries = false }: RatePanelProps) {
  const w = fitColumns(COLUMNS, width);
  return (
    <Box flexDirection="column" height={height}>
      {rows.slice(0, height).map((row) => (
        <RowText key={row.name} wrap="truncate-end">
          {cell(row.name, w[0]!)} <Text {...theme.accent}>{sparkline(isWholeSeries ? resample(row.series, w[1]!) : row.series, w[1]!)}</Text>{' '}
          {[cell(formatRate(row.perSecond), w[2]!, true), cell(`✓${row.counts.succeeded}`, w[3]!, true)].join(' ')}{' '}
          <Text {...(row.counts.failed > 0 ? theme.error : theme.dim)}>{cell(`✗${row.counts.failed}`, w[4]!, true)}</Text>{' '}
          {cell(formatRuntime(row.meanRuntime), w[5]!, true)}
        </RowText>
      ))}
    </Box>
  );
}
