import { Text } from 'ink';
import { EditorText } from './editor-text.js';
import type { Notice, Prompt } from '../state/ui-reducer.js';
import { truncate } from '../format.js';
import type { Theme } from '../theme.js';

export interface StatusLineProps {
  readonly prompt: Prompt | undefined;
  readonly notice: Notice | undefined;
  /** Shown when there is neither a prompt nor a notice. */
  readonly hint: string;
  readonly width: number;
  readonly theme: Theme;
}

/** The line above the key bar: the open prompt (revoke confirm, rate input, search), else the latest notice. */
export function StatusLine({ prompt, notice, hint, width, theme }: StatusLineProps) {
  if (prompt?.kind === 'revoke') {
    return (
      <Text wrap="truncate-end" {...theme.pending}>
        {truncate(`Revoke ${prompt.uuid} (${prompt.name ?? 'unknown task'})? y revoke · t terminate · n cancel`, width)}
      </Text>
    );
  }
  if (prompt?.kind === 'rate-limit') {
    const label = `Rate limit for ${prompt.taskName} (e.g. 10/s, 5/m, 0 = none)${prompt.error ? ` [${prompt.error}]` : ''}: `;
    return <EditorText label={label} editor={prompt.editor} theme={theme} />;
  }
  if (prompt?.kind === 'search') return <EditorText label="/" editor={prompt.editor} theme={theme} />;
  if (prompt?.kind === 'worker-filter') return <EditorText label="workers named (glob or text) /" editor={prompt.editor} theme={theme} />;
  if (notice) {
    const tone = notice.tone === 'error' ? theme.error : notice.tone === 'success' ? theme.success : notice.tone === 'pending' ? theme.pending : {};
    return (
      <Text wrap="truncate-end" {...tone}>
        {truncate(notice.text, width)}
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end" {...theme.dim}>
      {truncate(hint, width)}
    </Text>
  );
}
