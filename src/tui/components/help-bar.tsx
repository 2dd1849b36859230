import { Text } from 'ink';
import type { Theme } from '../theme.js';
import { RowText } from './row-text.js';

export interface HelpBarProps {
  /** Pairs of key and what it does, in order of importance (the tail is cut on narrow terminals). */
  readonly keys: readonly (readonly [string, string])[];
  readonly width: number;
  readonly theme: Theme;
}

/** The key help line at the bottom: as many `key action` pairs as fit. */
export function HelpBar({ keys, width, theme }: HelpBarProps) {
  const shown: (readonly [string, string])[] = [];
  let used = 0;
  for (const pair of keys) {
    const w = pair[0].length + 1 + pair[1].length + 2;
    if (used + w > width) break;
    shown.push(pair);
    used += w;
  }
  return (
    <RowText wrap="truncate-end">
      {shown.map(([key, label]) => (
        <Text key={key}>
          <Text {...theme.key}>{key}</Text>
          {` ${label}  `}
        </Text>
      ))}
    </RowText>
  );
}
