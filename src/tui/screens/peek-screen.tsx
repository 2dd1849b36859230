import { Box, Text } from 'ink';
import { SectionTitle } from '../components/section-title.js';
import { cell } from '../format.js';
import type { QueuePeek } from '../state/queue-pane.js';
import type { Theme } from '../theme.js';

export interface PeekScreenProps {
  readonly peek: QueuePeek;
  readonly height: number;
  readonly width: number;
  readonly theme: Theme;
}

/** The lines a peek view shows under its title: the messages, then what the peek did on the broker. */
export function peekLines(peek: QueuePeek): readonly string[] {
  if (peek.isLoading) return ['taking the first messages (unacked) and returning them…'];
  if (peek.error !== undefined) return [peek.error];
  return [peek.title, ...(peek.lines.length === 0 ? ['(the queue has no ready messages)'] : peek.lines), '', `note: ${peek.note}`];
}

/** A queue's first messages decoded (as `camq queues peek` prints them), over the overview until Esc. Scrolls. */
export function PeekScreen({ peek, height, width, theme }: PeekScreenProps) {
  const lines = peekLines(peek);
  const body = Math.max(1, height - 1);
  const visible = lines.slice(peek.scroll, peek.scroll + body);
  const more = lines.length > peek.scroll + body ? ` · ${lines.length - peek.scroll - body} more lines (↓)` : '';
  return (
    <Box flexDirection="column" height={height}>
      <SectionTitle title={`Peek ${peek.queue}`} detail={`Esc back · r again${more}`} isFocused width={width} theme={theme} />
      {visible.map((line, i) => (
        <Text key={peek.scroll + i} wrap="truncate-end" {...(peek.error !== undefined ? theme.error : line.startsWith('#') ? { bold: true } : {})}>
          {cell(line, width)}
        </Text>
      ))}
    </Box>
  );
}
