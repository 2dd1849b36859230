import { Text } from 'ink';
import { cell } from '../format.js';
import { textWidth } from '../text-width.js';
import type { Theme } from '../theme.js';
import { RowText } from './row-text.js';

export interface SectionTitleProps {
  readonly title: string;
  /** Shown after the title, dimmed. */
  readonly detail?: string;
  /** True: the pane has the keys (highlighted); false: another pane has them (dimmed); undefined: not a pane. */
  readonly isFocused?: boolean | undefined;
  readonly width: number;
  readonly theme: Theme;
}

/** A pane's title line: highlighted when the pane has the keyboard, dimmed when another pane has it. */
export function SectionTitle({ title, detail = '', isFocused, width, theme }: SectionTitleProps) {
  const head = ` ${title} `;
  return (
    <RowText wrap="truncate-end">
      <Text {...theme.title(isFocused)}>{head}</Text>
      <Text {...theme.dim}>{cell(detail ? ` ${detail}` : '', Math.max(0, width - textWidth(head)))}</Text>
    </RowText>
  );
}
