import { Text } from 'ink';
import { describeConnectionPhase, type ConnectionStatus } from '../../events/connection-status.js';
import type { ClusterSummary } from '../../events/selectors.js';
import { formatRoughRate, truncateMiddle } from '../format.js';
import { textWidth } from '../text-width.js';
import type { Theme } from '../theme.js';
import { RowText } from './row-text.js';

export interface HeaderProps {
  readonly connection: ConnectionStatus;
  readonly summary: ClusterSummary;
  /** Ready messages over the listed queues, when the queues pane has figures. */
  readonly backlog?: number | undefined;
  readonly width: number;
  readonly theme: Theme;
}

const PHASE_LABEL: Readonly<Record<ConnectionStatus['phase'], string>> = {
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  failed: 'disconnected',
  closed: 'closed',
};

/** The header's right-hand part: event and task rates, workers up, the backlog. */
export function headerFigures(summary: ClusterSummary, backlog: number | undefined): string {
  const queued = backlog === undefined ? '' : `  ${backlog} queued`;
  return `  ${formatRoughRate(summary.eventsPerSecond)} ev  ${formatRoughRate(summary.tasksPerSecond)} done  ${summary.workersOnline}/${summary.workersTotal} workers up${queued}`;
}

/** One line: the masked broker URL, the connection state with reconnects, and the event and task rates. */
export function Header({ connection, summary, backlog, width, theme }: HeaderProps) {
  const phase = connection.phase;
  const phaseProps = phase === 'connected' ? theme.success : phase === 'failed' || phase === 'closed' ? theme.error : theme.pending;
  const reconnects = connection.reconnects > 0 ? ` ↻${connection.reconnects}` : '';
  const right = headerFigures(summary, backlog);
  const status = `● ${describeConnectionPhase(connection, PHASE_LABEL[phase])}${reconnects}`;
  const fixed = 'camq    '.length + textWidth(status) + textWidth(right);
  const broker = truncateMiddle(connection.broker, Math.max(8, width - fixed));
  return (
    <RowText wrap="truncate-end">
      <Text bold {...theme.accent}>
        camq
      </Text>
      {`  ${broker}  `}
      <Text {...phaseProps}>{status}</Text>
      {right}
    </RowText>
  );
}
