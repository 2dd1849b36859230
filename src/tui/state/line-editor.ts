import type { Key } from 'ink';

/** A one-line text input as a pure value: the text and the cursor position in it. */
export interface LineEditorState {
  readonly value: string;
  readonly cursor: number;
}

export function lineEditor(value = ''): LineEditorState {
  return { value, cursor: value.length };
}

/**
 * Apply one keypress to a line. Returns the new line, or undefined when the key is not an editing key (Enter,
 * Escape, Tab, arrows up/down ...), so the caller handles it.
 */
export function editLine(state: LineEditorState, input: string, key: Key): LineEditorState | undefined {
  const { value, cursor } = state;
  if (key.return || key.escape || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return undefined;
  if (key.leftArrow) return { value, cursor: Math.max(0, cursor - 1) };
  if (key.rightArrow) return { value, cursor: Math.min(value.length, cursor + 1) };
  if (key.home || (key.ctrl && input === 'a')) return { value, cursor: 0 };
  if (key.end || (key.ctrl && input === 'e')) return { value, cursor: value.length };
  if (key.ctrl && input === 'u') return { value: value.slice(cursor), cursor: 0 };
  if (key.ctrl && input === 'k') return { value: value.slice(0, cursor), cursor };
  if (key.ctrl && input === 'w') {
    const before = value.slice(0, cursor).replace(/\S+\s*$/, '');
    return { value: before + value.slice(cursor), cursor: before.length };
  }
  // Terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`; both erase to the left.
  if (key.backspace || key.delete) {
    if (cursor === 0) return state;
    return { value: value.slice(0, cursor - 1) + value.slice(cursor), cursor: cursor - 1 };
  }
  if (key.ctrl || key.meta || input === '') return undefined;
  const text = input.replace(/[\r\n\u0000-\u001f\u007f]/g, '');
  if (text === '') return state;
  return { value: value.slice(0, cursor) + text + value.slice(cursor), cursor: cursor + text.length };
}
