import { Text } from 'ink';
import { truncate } from '../format.js';
import type { QueuePrompt } from '../state/queue-pane.js';
import type { Theme } from '../theme.js';
import { EditorText } from './editor-text.js';

/** The status line while the queues pane asks: purge's confirm, or move's target queue. */
export function QueuePromptLine({ prompt, width, theme }: { prompt: QueuePrompt; width: number; theme: Theme }) {
  if (prompt.kind === 'purge') {
    return (
      <Text wrap="truncate-end" {...theme.pending}>
        {truncate(`Purge '${prompt.queue}': remove every ready message? y purge · n cancel`, width)}
      </Text>
    );
  }
  const label = `Move every message of '${prompt.queue}' to queue${prompt.error ? ` [${prompt.error}]` : ''}: `;
  return <EditorText label={label} editor={prompt.editor} theme={theme} />;
}
