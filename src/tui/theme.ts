import type { TextProps } from 'ink';

/**
 * Styles as data (ink-ui's theme.ts): functions returning Text props. With `isColor` false (NO_COLOR, or not a
 * colour terminal) no colour is ever set; bold, dim and inverse remain, as NO_COLOR allows.
 */
export interface Theme {
  readonly isColor: boolean;
  state(state: string): TextProps;
  online(isOnline: boolean): TextProps;
  /** A pane's title: focused (has the keys), unfocused (Tab reaches it), or undefined for a title that takes no keys. */
  title(isFocused: boolean | undefined): TextProps;
  columnHeader: TextProps;
  selected: TextProps;
  dim: TextProps;
  key: TextProps;
  error: TextProps;
  success: TextProps;
  pending: TextProps;
  accent: TextProps;
}

const STATE_COLORS: Readonly<Record<string, TextProps['color']>> = {
  SUCCESS: 'green',
  FAILURE: 'red',
  STARTED: 'yellow',
  RECEIVED: 'cyan',
  PENDING: 'gray',
  RETRY: 'magenta',
  REVOKED: 'redBright',
  REJECTED: 'redBright',
};

export function createTheme(isColor: boolean): Theme {
  const color = (c: TextProps['color']): TextProps => (isColor ? { color: c } : {});
  return {
    isColor,
    state: (state) => color(STATE_COLORS[state] ?? 'white'),
    online: (isOnline) => (isColor ? { color: isOnline ? 'green' : 'red' } : { bold: isOnline }),
    title: (isFocused) =>
      isFocused === undefined ? { bold: true, ...color('cyan') } : isFocused ? { bold: true, inverse: true, ...color('cyan') } : { dimColor: true },
    columnHeader: { dimColor: true, bold: true },
    selected: { inverse: true },
    dim: { dimColor: true },
    key: { bold: true, ...color('cyan') },
    error: { bold: !isColor, ...color('red') },
    success: color('green'),
    pending: color('yellow'),
    accent: color('cyan'),
  };
}
