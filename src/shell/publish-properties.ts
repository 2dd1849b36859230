import { shortstrProblem } from '../protocol/shortstr.js';
import { coerceInteger } from './coerce.js';
import type { PropertiesView } from './message-properties.js';
import { ShellInputError } from './shell-input-error.js';

/**
 * Message properties for `basic.publish`, typed as `name=value` words after the message, in any order and mixed
 * with the positional arguments:
 *
 *     basic.publish '{"a": 1}' '' celery content_type=application/json priority=5 header.x-retry=3
 *
 * Names are the AMQP/kombu property names, so a Celery user already knows them. `headers=` takes a JSON object;
 * `header.NAME=VALUE` sets one header, VALUE read as JSON when it is JSON (3, true, null, [1,2], "3") and as text
 * otherwise. The first word of the command is always the message, so a body like `priority=5` stays a body.
 */
export interface PublishPropertySpec {
  /** `content_type`, or `header.` for the per-header form. */
  readonly name: string;
  readonly value: string;
  readonly help: string;
}

export const PUBLISH_PROPERTIES: readonly PublishPropertySpec[] = [
  { name: 'content_type', value: 'MIME', help: 'e.g. application/json, text/plain' },
  { name: 'content_encoding', value: 'ENC', help: 'e.g. utf-8' },
  { name: 'headers', value: 'JSON', help: 'all headers as a JSON object: headers=\'{"x-retry": 3}\'' },
  { name: 'header.', value: 'NAME=VALUE', help: 'one header; VALUE is JSON if it parses (3, true, null), else text' },
  { name: 'priority', value: '0-255', help: 'message priority (queues need x-max-priority)' },
  { name: 'delivery_mode', value: '1|2', help: '1 or transient, 2 or persistent' },
  { name: 'correlation_id', value: 'ID', help: 'correlation id (Celery sets it to the task id)' },
  { name: 'reply_to', value: 'QUEUE', help: 'queue for replies' },
  { name: 'expiration', value: 'MS', help: 'per-message TTL in milliseconds' },
  { name: 'message_id', value: 'ID', help: 'message id' },
  { name: 'timestamp', value: 'SECONDS', help: 'Unix time in seconds' },
  { name: 'type', value: 'NAME', help: 'message type name' },
  { name: 'app_id', value: 'NAME', help: 'the publishing application' },
  { name: 'user_id', value: 'USER', help: 'must equal the connection user, or RabbitMQ refuses it (406)' },
];

const PLAIN_NAMES = new Set(PUBLISH_PROPERTIES.map((p) => p.name).filter((n) => !n.endsWith('.')));

/** The property a word sets, when it is a `name=value` property word. */
export function propertyWordName(word: string): string | undefined {
  const eq = word.indexOf('=');
  if (eq <= 0) return undefined;
  const name = word.slice(0, eq);
  if (PLAIN_NAMES.has(name)) return name;
  if (name.startsWith('header.') && name.length > 'header.'.length) return name;
  return undefined;
}

/** Properties from `name=value` words (each one already known to be a property word). Later words win. */
export function parsePublishProperties(words: readonly string[], command = 'basic.publish'): PropertiesView {
  const view: PropertiesView = {};
  const bad = (word: string, expected: string) =>
    new ShellInputError(
      'shell.bad-property',
      `${command}: ${word.slice(0, word.indexOf('='))} must be ${expected}, not '${word.slice(word.indexOf('=') + 1)}'`,
    );

  for (const word of words) {
    const eq = word.indexOf('=');
    const name = word.slice(0, eq);
    const value = word.slice(eq + 1);
    if (name.startsWith('header.')) {
      const header = name.slice('header.'.length);
      const headerValue = looseJson(value);
      checkHeaders(command, { [header]: headerValue });
      view.headers = { ...view.headers, [header]: headerValue };
      continue;
    }
    switch (name) {
      case 'priority': {
        const n = coerceInteger(value);
        if (n === undefined || n > 255) throw bad(word, 'a whole number from 0 to 255');
        view.priority = n;
        break;
      }
      case 'delivery_mode': {
        const mode = DELIVERY_MODES[value.toLowerCase()];
        if (mode === undefined) throw bad(word, '1 (transient) or 2 (persistent)');
        view.delivery_mode = mode;
        break;
      }
      case 'expiration':
        if (coerceInteger(value) === undefined) throw bad(word, 'a TTL in whole milliseconds');
        view.expiration = value;
        break;
      case 'timestamp': {
        const seconds = coerceInteger(value);
        if (seconds === undefined) throw bad(word, 'Unix time in whole seconds');
        view.timestamp = seconds;
        break;
      }
      case 'headers': {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          throw bad(word, 'a JSON object (quote it: headers=\'{"x-retry": 3}\')');
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad(word, 'a JSON object');
        checkHeaders(command, parsed);
        view.headers = { ...view.headers, ...(parsed as Record<string, unknown>) };
        break;
      }
      case 'content_type':
      case 'content_encoding':
      case 'correlation_id':
      case 'reply_to':
      case 'message_id':
      case 'type':
      case 'app_id':
      case 'user_id': {
        const problem = shortstrProblem(name, value);
        if (problem) throw new ShellInputError('shell.too-long', `${command}: ${problem}, so nothing was sent`);
        view[name] = value;
        break;
      }
      default:
        throw new ShellInputError('shell.bad-property', `${command}: unknown property '${name}'`);
    }
  }
  return view;
}

/** Header tables deeper than this are refused: no real header nests so far, and a decoder may overflow its stack. */
export const MAX_HEADER_DEPTH = 100;

/**
 * Header names are shortstrs (at most 255 bytes, at every level of nesting), and nesting is bounded; checked here so
 * the refusal names the header, with nothing sent. Iterative, so a pathological depth cannot overflow the stack.
 */
function checkHeaders(command: string, headers: object): void {
  const pending: { value: unknown; depth: number; path: string }[] = [{ value: headers, depth: 1, path: 'headers' }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, depth, path } = item;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_HEADER_DEPTH) {
      throw new ShellInputError(
        'shell.too-deep',
        `${command}: headers nest deeper than ${MAX_HEADER_DEPTH} levels (at ${path.slice(0, 80)}...), so nothing was sent`,
      );
    }
    if (Array.isArray(value)) {
      value.forEach((element, i) => pending.push({ value: element, depth: depth + 1, path: `${path}[${i}]` }));
      continue;
    }
    for (const [key, element] of Object.entries(value)) {
      const problem = shortstrProblem(`the header name '${key.slice(0, 20)}...' in ${path}`, key);
      if (problem) throw new ShellInputError('shell.too-long', `${command}: ${problem}, so nothing was sent`);
      pending.push({ value: element, depth: depth + 1, path: `${path}.${key}` });
    }
  }
}

const DELIVERY_MODES: Record<string, number> = { '1': 1, transient: 1, '2': 2, persistent: 2 };

/** JSON when the text is JSON, else the text itself: `3` → 3, `true` → true, `abc` → 'abc', `"3"` → '3'. */
function looseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
