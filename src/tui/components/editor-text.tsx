import { Text } from 'ink';
import type { LineEditorState } from '../state/line-editor.js';
import type { Theme } from '../theme.js';

export interface EditorTextProps {
  readonly label: string;
  readonly editor: LineEditorState;
  readonly theme: Theme;
}

/** An input line with a visible cursor. */
export function EditorText({ label, editor, theme }: EditorTextProps) {
  const before = editor.value.slice(0, editor.cursor);
  const at = editor.value[editor.cursor] ?? ' ';
  const after = editor.value.slice(editor.cursor + 1);
  return (
    <Text wrap="truncate-start">
      <Text {...theme.key}>{label}</Text>
      {before}
      <Text inverse>{at}</Text>
      {after}
    </Text>
  );
}
