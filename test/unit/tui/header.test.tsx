import { renderToString } from 'ink';
import { describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../../src/events/connection-status.js';
import { Header } from '../../../src/tui/components/header.js';
import { createTheme } from '../../../src/tui/theme.js';

const summary = { eventsPerSecond: 0, tasksPerSecond: 0, workersOnline: 0, workersTotal: 1, tasksKept: 0, eventCount: 0 };
const BROKER = 'amqp://guest:**@127.0.0.1:5672//';
const header = (connection: ConnectionStatus) =>
  renderToString(<Header connection={connection} summary={summary} width={160} theme={createTheme(false)} />, { columns: 160 });

describe('the live view header', () => {
  it('says why it is reconnecting and which attempt is next', () => {
    const line = header({
      phase: 'reconnecting',
      broker: BROKER,
      reconnects: 1,
      reason: 'connection refused (ECONNREFUSED)',
      attempt: 3,
      retryInMs: 800,
    });
    expect(line).toContain('● reconnecting (attempt 3, connection refused (ECONNREFUSED)) ↻1');
  });

  it('says why the connection failed for good, and nothing more when connected', () => {
    expect(header({ phase: 'failed', broker: BROKER, reconnects: 0, reason: 'the broker closed the socket' })).toContain(
      '● disconnected (the broker closed the socket)',
    );
    expect(header({ phase: 'connected', broker: BROKER, reconnects: 2 })).toContain('● connected ↻2');
  });
});
