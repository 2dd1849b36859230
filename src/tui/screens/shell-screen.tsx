import { Box, Text } from 'ink';
import { EditorText } from '../components/editor-text.js';
import { SectionTitle } from '../components/section-title.js';
import { cell, wrapLines } from '../format.js';
import type { ShellPaneState } from '../state/ui-reducer.js';
import type { Theme } from '../theme.js';

export interface ShellScreenProps {
  readonly shell: ShellPaneState;
  readonly prompt: string;
  readonly isAvailable: boolean;
  readonly height: number;
  readonly width: number;
  readonly theme: Theme;
}

/** The camqadm shell on the whole screen: scrollback above, the input line with its prompt below. */
export function ShellScreen({ shell, prompt, isAvailable, height, width, theme }: ShellScreenProps) {
  const body = Math.max(1, height - 2);
  const wrapped = shell.lines.flatMap((line) => wrapLines(line.text, width).map((text) => ({ text, tone: line.tone })));
  const visible = wrapped.slice(-body);
  return (
    <Box flexDirection="column" height={height}>
      <SectionTitle title="Shell" detail="camqadm: AMQP commands · Tab completes · ↑↓ history · Esc back" isFocused width={width} theme={theme} />
      <Box flexDirection="column" height={body}>
        {!isAvailable ? <Text {...theme.dim}>the shell engine is not wired into this build</Text> : null}
        {visible.map((line, i) => (
          <Text
            key={i}
            wrap="truncate-end"
            {...(line.tone === 'error' ? theme.error : line.tone === 'input' ? { bold: true } : line.tone === 'info' ? theme.dim : {})}
          >
            {cell(line.text, width)}
          </Text>
        ))}
      </Box>
      {shell.isBusy ? <Text {...theme.pending}>{prompt}…</Text> : <EditorText label={prompt} editor={shell.editor} theme={theme} />}
    </Box>
  );
}
