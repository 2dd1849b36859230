import { Box, Text } from 'ink';
import { SectionTitle } from '../components/section-title.js';
import { wrapWords } from '../format.js';
import type { Theme } from '../theme.js';

/** The key bar with the task stream focused, most used first (a narrow terminal cuts the tail); Tab names where it goes. */
export const OVERVIEW_KEYS: readonly (readonly [string, string])[] = [
  ['q', 'quit'],
  ['⏎', 'details'],
  ['↑↓', 'move'],
  ['⇥', 'workers'],
  ['r', 'revoke'],
  ['l', 'rate'],
  ['p', 'ping'],
  ['/', 'search'],
  [':', 'shell'],
  ['s', 'state'],
  ['n', 'name'],
  ['w', 'worker'],
  ['c', 'clear'],
  ['t', 'time'],
  ['[ ]', 'step'],
  ['?', 'help'],
];

/** The key bar with the workers pane focused: only what acts on workers (task actions need the tasks pane). */
export const WORKER_PANE_KEYS: readonly (readonly [string, string])[] = [
  ['q', 'quit'],
  ['⏎', 'their tasks'],
  ['↑↓', 'move'],
  ['⇥', 'tasks'],
  ['o', 'sort'],
  ['b', 'group'],
  ['/', 'filter'],
  ['g G', 'top end'],
  ['p', 'ping'],
  [':', 'shell'],
  ['c', 'clear'],
  ['?', 'help'],
];

/** The key bar with the queues pane focused. */
export const QUEUE_PANE_KEYS: readonly (readonly [string, string])[] = [
  ['q', 'quit'],
  ['⏎', 'peek'],
  ['↑↓', 'move'],
  ['⇥', 'workers'],
  ['P', 'purge'],
  ['m', 'move to'],
  ['p', 'ping'],
  [':', 'shell'],
  ['?', 'help'],
];

const HELP: readonly (readonly [string, string])[] = [
  ['q, Ctrl-C', 'quit (the terminal is restored)'],
  ['Tab', 'cycle panes: workers → tasks → queues (Shift-Tab goes back)'],
  ['↑ ↓ / k j', "move; PgUp PgDn by the pane's page; g G (Home End): first, last"],
  ['Enter', "tasks: details · workers: that worker's tasks; a group: open it"],
  ['⏎, P, m', 'queues: Enter peeks · P purges (asks first) · m moves (asks where)'],
  ['/', 'search tasks by name, uuid, worker, args, kwargs, result or exception (Enter holds the first match, Esc cancels)'],
  ['o, b, /', 'workers: sort (o, offline first), group by host or prefix (b), filter (/)'],
  ['s', 'cycle the state filter: RECEIVED, STARTED, SUCCESS, FAILURE and the rest'],
  ['n / w, c', "only the selected task's name / worker (again undoes); c clears all"],
  ['r', 'revoke the selected task (asks first; t terminates it where it runs)'],
  ['l', "rate-limit the selected task's name (asks: 10/s, 5/m, 0 = none)"],
  ['p', 'ping every worker; names the online ones that did not answer'],
  ['F, h', 'failures screen (⏎ a group, r/R retry) · h: history / live only'],
  ['t, [ ]', 'a time range (14:00..14:30, -1h; empty: live) · [ ] step it'],
  [':', 'the camqadm shell (Esc comes back)'],
  ['Esc, ←', 'back to the overview from details, shell or help'],
];

const KEY_WIDTH = 12;

/** Every key of the overview, each explanation wrapped under itself so nothing is cut at 80 columns. */
export function HelpScreen({ height, width, theme }: { height: number; width: number; theme: Theme }) {
  const rows = HELP.flatMap(([key, text]) =>
    wrapWords(text, Math.max(10, width - KEY_WIDTH)).map((line, i) => ({ id: `${key}/${i}`, key: i === 0 ? key : '', line })),
  );
  return (
    <Box flexDirection="column" height={height}>
      <SectionTitle title="Keys" detail="Esc back" isFocused width={width} theme={theme} />
      {rows.slice(0, Math.max(0, height - 1)).map(({ id, key, line }) => (
        <Text key={id} wrap="truncate-end">
          <Text {...theme.key}>{key.padEnd(KEY_WIDTH)}</Text>
          {line}
        </Text>
      ))}
    </Box>
  );
}
