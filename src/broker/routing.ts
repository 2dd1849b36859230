/**
 * Pure routing rules of the topic and headers exchange types, as RabbitMQ applies them.
 *
 * Topic: routing keys and binding keys are lists of words separated by `.`; the empty key has no words (RabbitMQ's
 * split_topic_key). In a binding key `*` matches exactly one word and `#` zero or more.
 *
 * Headers: the binding's arguments are matched against the message's `headers` property. `x-match` is `all`
 * (the default), `any`, `all-with-x` or `any-with-x`; the plain forms ignore arguments whose name starts with
 * `x-`. A binding argument whose value is void (null) matches any value of a header with that name.
 */
import type { FieldTable } from './amqp-codec.js';
import { preconditionFailed } from './amqp-exception.js';
import { sameValue } from './declare-arguments.js';
import { plainText } from '../protocol/plain-text.js';

export function topicWords(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

/** Whether binding-key words `pattern` match routing-key words `key`. */
export function topicMatches(pattern: readonly string[], key: readonly string[]): boolean {
  let p = 0;
  let k = 0;
  let hashAt = -1; // the last `#` seen, and the key word it was tried against, for backtracking
  let hashKey = 0;
  while (k < key.length) {
    const word = pattern[p];
    if (word === '#') {
      hashAt = p++;
      hashKey = k;
    } else if (word !== undefined && (word === '*' || word === key[k])) {
      p++;
      k++;
    } else if (hashAt >= 0) {
      p = hashAt + 1;
      k = ++hashKey;
    } else {
      return false;
    }
  }
  while (pattern[p] === '#') p++;
  return p === pattern.length;
}

/** A topic binding key compiled once: exact keys compare as strings, `#` alone matches everything. */
export type TopicMatcher = (routingKey: string, words: () => readonly string[]) => boolean;

export function compileTopic(bindingKey: string): TopicMatcher {
  if (bindingKey === '#') return () => true;
  const pattern = topicWords(bindingKey);
  if (!pattern.includes('*') && !pattern.includes('#')) return (routingKey) => routingKey === bindingKey;
  return (_routingKey, words) => topicMatches(pattern, words());
}

export type XMatch = 'all' | 'any' | 'all-with-x' | 'any-with-x';

export interface HeadersBinding {
  readonly xMatch: XMatch;
  readonly entries: readonly (readonly [string, unknown])[];
}

/** Read a headers binding's arguments; an unknown `x-match` is RabbitMQ's 406. */
export function headersBinding(args: FieldTable): HeadersBinding {
  const raw = args['x-match'];
  let xMatch: XMatch = 'all';
  if (raw !== undefined) {
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
    if (text !== 'all' && text !== 'any' && text !== 'all-with-x' && text !== 'any-with-x') {
      const shown = typeof text === 'string' ? `<<"${text}">>` : plainText(text);
      throw preconditionFailed(`Invalid x-match field value ${shown}; expected all, any, all-with-x, or any-with-x`);
    }
    xMatch = text;
  }
  const withX = xMatch.endsWith('-with-x');
  const entries = Object.entries(args).filter(([key]) => key !== 'x-match' && (withX || !key.startsWith('x-')));
  return { xMatch, entries };
}

export function headersMatch(binding: HeadersBinding, headers: FieldTable | undefined): boolean {
  const all = binding.xMatch === 'all' || binding.xMatch === 'all-with-x';
  for (const [key, expected] of binding.entries) {
    const present = headers !== undefined && Object.hasOwn(headers, key);
    const matched = present && (expected === null || sameValue(expected, headers[key]));
    if (all && !matched) return false;
    if (!all && matched) return true;
  }
  return all;
}
