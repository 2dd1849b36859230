import { EditorText } from './editor-text.js';
import type { Notice, Prompt } from '../state/ui-reducer.js';
import { truncate } from '../format.js';
import type { Theme } from '../theme.js';
import { RowText } from './row-text.js';

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
      <RowText wrap="truncate-end" {...theme.pending}>
        {truncate(`Revoke ${prompt.uuid} (${prompt.name ?? 'unknown task'})? y revoke · t terminate · n cancel`, width)}
      </RowText>
    );
  }
  if (prompt?.kind === 'rate-limit') {
    const label = `Rate limit for ${prompt.taskName} (e.g. 10/s, 5/m, 0 = none)${prompt.error ? ` [${prompt.error}]` : ''}: `;
    return <EditorText label={label} editor={prompt.editor} theme={theme} />;
  }
  if (prompt?.kind === 'time-range') {
    // A wrong answer: one line saying what was wrong and what works; the next key shows the text again, to be mended.
    if (prompt.error) {
      return (
        <RowText wrap="truncate-end" {...theme.error}>
          {truncate(`time range: ${prompt.error}`, width)}
        </RowText>
      );
    }
    return <EditorText label="time range (14:00, 14:00..14:30, -1h, -30m..-10m; empty = live): " editor={prompt.editor} theme={theme} />;
  }
  if (prompt?.kind === 'search') return <EditorText label="/" editor={prompt.editor} theme={theme} />;
  if (prompt?.kind === 'worker-filter') return <EditorText label="workers named (glob or text) /" editor={prompt.editor} theme={theme} />;
  if (notice) {
    const tone = notice.tone === 'error' ? theme.error : notice.tone === 'success' ? theme.success : notice.tone === 'pending' ? theme.pending : {};
    return (
      <RowText wrap="truncate-end" {...tone}>
        {truncate(notice.text, width)}
      </RowText>
    );
  }
  return (
    <RowText wrap="truncate-end" {...theme.dim}>
      {truncate(hint, width)}
    </RowText>
  );
}
