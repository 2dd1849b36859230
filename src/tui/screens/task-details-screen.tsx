import { Box, Text } from 'ink';
import type { TaskRecord } from '../../events/cluster-state.js';
import { SectionTitle } from '../components/section-title.js';
import { cell } from '../format.js';
import type { Theme } from '../theme.js';
import type { DetailLine } from './task-details-lines.js';

export interface TaskDetailsScreenProps {
  readonly task: TaskRecord | undefined;
  readonly uuid: string | undefined;
  readonly lines: readonly DetailLine[];
  readonly scroll: number;
  readonly height: number;
  readonly width: number;
  readonly theme: Theme;
}

/** One task on the whole screen: args, kwargs, result or exception with its traceback, timings. Scrolls. */
export function TaskDetailsScreen({ task, uuid, lines, scroll, height, width, theme }: TaskDetailsScreenProps) {
  const body = Math.max(1, height - 1);
  const visible = lines.slice(scroll, scroll + body);
  const more = lines.length > scroll + body ? ` · ${lines.length - scroll - body} more lines (↓)` : '';
  return (
    <Box flexDirection="column" height={height}>
      <SectionTitle title={`Task ${task?.name ?? ''}`.trim()} detail={`${uuid ?? ''}${more}`} isFocused width={width} theme={theme} />
      {task === undefined ? (
        <Text {...theme.dim}>this task is no longer kept (the --max-tasks bound dropped it)</Text>
      ) : (
        visible.map((line, i) => (
          <Text
            key={scroll + i}
            wrap="truncate-end"
            {...(line.tone === 'label' ? { bold: true } : line.tone === 'error' ? theme.error : line.tone === 'state' ? theme.state(task.state) : {})}
          >
            {cell(line.text, width)}
          </Text>
        ))
      )}
    </Box>
  );
}
