import { COMMAND_NAMES, findCommand, type NameKind } from './command-table.js';
import { PUBLISH_PROPERTIES, propertyWordName } from './publish-properties.js';
import { quoteWord, quoteWordAs, scanLine } from './tokenize.js';

/** Names the session has seen, offered where an argument names a queue or an exchange. */
export interface CompletionNames {
  readonly queues: Iterable<string>;
  readonly exchanges: Iterable<string>;
}

/**
 * What to offer for the word being typed: replace `line.slice(from)` (the raw word, quotes included) with one of
 * `candidates`. A single candidate ends with a space so typing goes on with the next argument.
 */
export interface Completion {
  readonly candidates: readonly string[];
  readonly from: number;
}

const EXCHANGE_TYPES = ['direct', 'fanout', 'topic', 'headers'];
const BOOLEANS = ['yes', 'no'];
/** `content_type=`, ..., and `header.` (completed without a trailing space: the value follows). */
const PROPERTY_WORDS = PUBLISH_PROPERTIES.map((p) => (p.name.endsWith('.') ? p.name : `${p.name}=`));

/**
 * Complete the last word of `line` (the text up to the cursor).
 *
 * Command names follow the old camqadm rules (docs/protocol.md, The AMQP shell): names that start with the typed text,
 * reading `_` as `.`; when none does, names whose part after the dot starts with it (`del` → `exchange.delete`,
 * `queue.delete`). Arguments complete from the queue and exchange names seen in the session, exchange types,
 * yes/no for booleans, command names after `help`, and property names for `basic.publish`.
 */
export function completeLine(line: string, names: CompletionNames): Completion {
  const scanned = scanLine(line);
  const tokens = scanned.tokens;
  const current = scanned.endsInWord ? tokens[tokens.length - 1] : undefined;
  const index = scanned.endsInWord ? tokens.length - 1 : tokens.length;
  const typed = current?.text ?? '';
  const from = current?.start ?? line.length;

  let options: string[];
  if (index === 0) {
    options = completeCommandName(typed);
  } else {
    const spec = findCommand(tokens[0]!.text);
    if (!spec) return { candidates: [], from };
    // Property words (basic.publish) sit anywhere after the message and take no position.
    const before = tokens.slice(1, index).filter((t, i) => !(spec.takesProperties && i > 0 && propertyWordName(t.text)));
    const arg = spec.args[before.length];
    const pool = arg?.completes ? namesOf(arg.completes, names) : arg?.type === 'bool' ? BOOLEANS : [];
    options = pool.filter((name) => name.startsWith(typed));
    // Offer property names once the message, exchange and routing key are there and a word is started.
    if (spec.takesProperties && before.length >= 3 && typed !== '') {
      options.push(...PROPERTY_WORDS.filter((p) => p.startsWith(typed)));
    }
  }

  const unique = [...new Set(options)].sort();
  const quote = current?.openingQuote;
  const written = unique.map((name) => (PROPERTY_WORDS.includes(name) ? name : quote ? quoteWordAs(name, quote) : quoteWord(name)));
  if (written.length === 1 && !PROPERTY_WORDS.includes(unique[0]!)) written[0] += ' ';
  return { candidates: written, from };
}

function completeCommandName(typed: string): string[] {
  const word = typed.replace(/_/g, '.');
  const byPrefix = COMMAND_NAMES.filter((name) => name.startsWith(word));
  if (byPrefix.length > 0) return byPrefix;
  return COMMAND_NAMES.filter((name) => name.includes('.') && name.slice(name.indexOf('.') + 1).startsWith(word));
}

function namesOf(kind: NameKind, names: CompletionNames): string[] {
  switch (kind) {
    case 'queue':
      return [...names.queues];
    case 'exchange':
      return [...names.exchanges];
    case 'exchange-type':
      return EXCHANGE_TYPES;
    case 'command':
      return [...COMMAND_NAMES];
  }
}
