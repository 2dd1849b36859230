import { Box, Text } from 'ink';
import type { QueuePaneRow, QueuePaneView } from '../../queues/queue-pane-rows.js';
import type { QueueMarker } from '../../queues/queue-markers.js';
import { cell, fitColumns, formatRate, sparkline } from '../format.js';
import type { Theme } from '../theme.js';
import { SectionTitle } from './section-title.js';
import { RowText } from './row-text.js';

export interface QueueTableProps {
  readonly view: QueuePaneView;
  readonly selected: string | undefined;
  readonly isFocused: boolean;
  /** Body rows available (the title and the column header are extra). */
  readonly height: number;
  readonly width: number;
  readonly theme: Theme;
}

const COLUMNS = [
  { min: 1 }, // selection mark
  { min: 10, max: 40, weight: 1 }, // name
  { min: 7 }, // ready
  { min: 7 }, // unacked
  { min: 4 }, // consumers
  { min: 7 }, // publish/s
  { min: 7 }, // deliver/s
  { min: 12 }, // depth sparkline
  { min: 11, weight: 1 }, // markers
];
const HEADER = ['', 'QUEUE', 'READY', 'UNACKED', 'CONS', 'IN', 'OUT', 'DEPTH', 'MARKERS'];
/** On a cluster (view.clustered), two more at the end: `quorum×3` and the leader node. */
const CLUSTER_COLUMNS = [{ min: 9 }, { min: 12, max: 28, weight: 1 }];
const CLUSTER_HEADER = ['TYPE', 'LEADER'];
const MARKER_TEXT: Readonly<Record<QueueMarker, string>> = { 'no-consumer': 'no consumer', growing: 'growing', housekeeping: 'housekeeping' };

/** The queues pane's lines besides its rows: the title and the column header. */
export const QUEUE_PANE_FIXED_LINES = 2;

/**
 * Rows for the queues pane out of the overview's body: as many as there are queues (one for the empty or fallback
 * line), at most a fifth of the body and at least two, so workers and tasks keep the rest.
 */
export function queuePaneRows(bodyHeight: number, view: QueuePaneView): number {
  const wanted = Math.max(1, view.rows.length) + (view.missing !== null || view.error !== null ? 1 : 0);
  return Math.max(2, Math.min(wanted, Math.floor(bodyHeight / 5)));
}

function rate(value: number | null): string {
  return value === null ? '-' : formatRate(value);
}

/** One line under the title when the figures are partial or stale: the API is missing, or the last listing failed. */
function statusLine(view: QueuePaneView): string | undefined {
  if (view.error !== null) return view.source === null ? `no figures: ${view.error}` : `last listing failed (showing the one before): ${view.error}`;
  return view.missing ?? undefined;
}

/**
 * Queues between the producers and the workers: depth with its sparkline over the last listings, unacked,
 * consumers, publish and deliver rates, and the markers (no consumer, growing). Housekeeping queues are counted in the
 * title, not listed. The rows come from the queues engine once per listing (queuePaneView); this only lays them out.
 */
export function QueueTable({ view, selected, isFocused, height, width, theme }: QueueTableProps) {
  const w = fitColumns(view.clustered ? [...COLUMNS, ...CLUSTER_COLUMNS] : COLUMNS, width);
  const header = view.clustered ? [...HEADER, ...CLUSTER_HEADER] : HEADER;
  const status = statusLine(view);
  const bodyRows = Math.max(0, height - (status === undefined ? 0 : 1));
  const index = Math.max(
    0,
    view.rows.findIndex((r) => r.name === selected),
  );
  const offset = Math.max(0, Math.min(index - bodyRows + 1, view.rows.length - bodyRows));
  const visible = view.rows.slice(offset, offset + bodyRows);
  const source = view.source === null ? 'listing…' : view.source === 'api' ? 'management API' : 'AMQP (ready and consumers only)';
  const hidden = view.hiddenHousekeeping > 0 ? ` · ${view.hiddenHousekeeping} housekeeping hidden` : '';
  const detail = `${view.rows.length} · ${view.backlog} ready · ${source}${hidden}`;
  return (
    <Box flexDirection="column" height={height + QUEUE_PANE_FIXED_LINES}>
      <SectionTitle title="Queues" detail={detail} isFocused={isFocused} width={width} theme={theme} />
      <RowText {...theme.columnHeader} wrap="truncate-end">
        {header.map((h, i) => cell(h, w[i]!, i >= 2 && i <= 6)).join(' ')}
      </RowText>
      {status === undefined ? null : (
        <RowText {...(view.error !== null ? theme.error : theme.dim)} wrap="truncate-end">
          {cell(`  ${status}`, width)}
        </RowText>
      )}
      {visible.length === 0 && bodyRows > 0 ? (
        <Text {...theme.dim}>{cell(view.source === null ? '  waiting for the first listing' : '  no queues', width)}</Text>
      ) : (
        visible.map((row) => (
          <QueueLine
            key={row.name}
            row={row}
            isSelected={isFocused && row === (view.rows[index] ?? view.rows[0])}
            clustered={view.clustered}
            widths={w}
            theme={theme}
          />
        ))
      )}
    </Box>
  );
}

/** `quorum×3`, `classic`: the type with its member count when replicated. */
function typeText(row: QueuePaneRow): string {
  const type = row.type ?? '-';
  return row.members !== null && row.members > 1 ? `${type}×${row.members}` : type;
}

function QueueLine({
  row,
  isSelected,
  clustered,
  widths: w,
  theme,
}: {
  row: QueuePaneRow;
  isSelected: boolean;
  clustered: boolean;
  widths: number[];
  theme: Theme;
}) {
  const figures = [
    cell(String(row.ready), w[2]!, true),
    cell(row.unacked === null ? '-' : String(row.unacked), w[3]!, true),
    cell(String(row.consumers), w[4]!, true),
    cell(rate(row.publishRate), w[5]!, true),
    cell(rate(row.deliverRate), w[6]!, true),
    cell(sparkline(row.depths, w[7]!), w[7]!),
  ].join(' ');
  const isStuck = row.markers.includes('no-consumer');
  const markers = row.markers.map((m) => MARKER_TEXT[m]).join(', ');
  return (
    <RowText wrap="truncate-end" {...(isSelected ? theme.selected : {})}>
      {cell(isSelected ? '›' : ' ', w[0]!)} {cell(row.name, w[1]!)} {figures}{' '}
      <Text {...(isStuck ? theme.error : theme.pending)}>{cell(markers, w[8]!)}</Text>
      {clustered ? ` ${cell(typeText(row), w[9]!)} ${cell(row.leader ?? '-', w[10]!)}` : null}
    </RowText>
  );
}
