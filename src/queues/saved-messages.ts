import { open, readFile, type FileHandle } from 'node:fs/promises';
import { CamqError } from '../errors/index.js';
import type { HeaderTable, MessageProperties } from '../protocol/amqp-message.js';
import type { Delivery } from '../transport/index.js';

/**
 * The saved-messages file: what a selective purge removes and `camq queues publish FILE <queue>` puts back. JSON
 * lines, one message a line, each a `SavedMessage`: the body as base64 (bytes exact, whatever its encoding) and the
 * AMQP properties with header values in JSON (a byte-array header as `{"$bytes": "<base64>"}`), so body and
 * properties come back as they were. docs/queues-operations.md, The saved-messages file.
 */

/** The format's version, in each line's `v`. */
export const SAVED_FORMAT_VERSION = 1;

export interface SavedMessage {
  readonly v: typeof SAVED_FORMAT_VERSION;
  /** The queue it was taken from. */
  readonly queue: string;
  /** When camq took it (ISO 8601). */
  readonly savedAt: string;
  /** Where it was first published, as the delivery said. */
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;
  /** The task name and id when it was a Celery task message (for grep; `properties` and `body` are the truth). */
  readonly task?: string | undefined;
  readonly id?: string | undefined;
  readonly properties: Record<string, unknown>;
  /** The body's bytes, base64. */
  readonly body: string;
}

/** A saved message read back: what a publish needs. */
export interface RestoredMessage {
  readonly line: number;
  readonly content: Buffer;
  readonly properties: MessageProperties;
  readonly saved: SavedMessage;
}

/** One line of the file that could not be read back, and why (one clear line). */
export interface BadSavedLine {
  readonly line: number;
  readonly problem: string;
}

const PROPERTY_KEYS = [
  'contentType',
  'contentEncoding',
  'headers',
  'deliveryMode',
  'priority',
  'correlationId',
  'replyTo',
  'expiration',
  'messageId',
  'timestamp',
  'type',
  'userId',
  'appId',
] as const;

const STRING_PROPERTIES = new Set([
  'contentType',
  'contentEncoding',
  'correlationId',
  'replyTo',
  'expiration',
  'messageId',
  'type',
  'userId',
  'appId',
]);
const NUMBER_PROPERTIES = new Set(['deliveryMode', 'priority', 'timestamp']);

/** The line (without its newline) that saves a delivery taken from `queue`. */
export function savedLine(delivery: Delivery, queue: string, now: Date, task?: { name: string; id: string }): string {
  const properties: Record<string, unknown> = {};
  for (const key of PROPERTY_KEYS) {
    const value = (delivery.properties as Record<string, unknown>)[key];
    if (value === undefined || value === null) continue;
    properties[key] = key === 'headers' ? toJsonValue(value) : value;
  }
  const saved: SavedMessage = {
    v: SAVED_FORMAT_VERSION,
    queue,
    savedAt: now.toISOString(),
    exchange: delivery.fields.exchange,
    routingKey: delivery.fields.routingKey,
    redelivered: delivery.fields.redelivered,
    ...(task ? { task: task.name, id: task.id } : {}),
    properties,
    body: delivery.content.toString('base64'),
  };
  return JSON.stringify(saved);
}

/** Read one line of a saved-messages file; `line` is 1-based, for the message. */
export function parseSavedLine(text: string, line: number): RestoredMessage | BadSavedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { line, problem: `not JSON (${(err as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line, problem: 'not a JSON object' };
  const saved = value as Record<string, unknown>;
  if (saved['v'] !== SAVED_FORMAT_VERSION) return { line, problem: `format version ${JSON.stringify(saved['v'])} is not ${SAVED_FORMAT_VERSION}` };
  if (typeof saved['body'] !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(saved['body'])) return { line, problem: 'body is not base64 text' };
  const props = saved['properties'];
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return { line, problem: 'properties is not an object' };
  const properties: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(props)) {
    if (key === 'headers') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { line, problem: 'properties.headers is not an object' };
      properties['headers'] = fromJsonValue(v);
    } else if (STRING_PROPERTIES.has(key)) {
      if (typeof v !== 'string') return { line, problem: `properties.${key} is not a string` };
      properties[key] = v;
    } else if (NUMBER_PROPERTIES.has(key)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return { line, problem: `properties.${key} is not a whole number` };
      properties[key] = v;
    } else {
      return { line, problem: `unknown property '${key}'` };
    }
  }
  return { line, content: Buffer.from(saved['body'], 'base64'), properties, saved: value as unknown as SavedMessage };
}

export function isBadLine(entry: RestoredMessage | BadSavedLine): entry is BadSavedLine {
  return 'problem' in entry;
}

/** Every line of a saved-messages file: the messages, and the lines that could not be read (blank lines skipped). */
export async function readSavedMessages(file: string): Promise<{ messages: RestoredMessage[]; bad: BadSavedLine[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CamqError('queues.saved-file', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const messages: RestoredMessage[] = [];
  const bad: BadSavedLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const entry = parseSavedLine(raw, i + 1);
    if (isBadLine(entry)) bad.push(entry);
    else messages.push(entry);
  });
  return { messages, bad };
}

/**
 * Appends saved lines to a file and makes them durable: `flush` writes what was added and fsyncs, and only after it
 * resolves may the caller ack the messages (a crash then loses nothing: they are on disk, or still on the broker).
 * The file is opened for appending, so saving twice into one file keeps both runs.
 */
export class SavedMessageWriter {
  private pending: string[] = [];
  private written = 0;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(file: string): Promise<SavedMessageWriter> {
    try {
      return new SavedMessageWriter(file, await open(file, 'a'));
    } catch (err) {
      throw new CamqError(
        'queues.saved-file',
        `cannot open ${file} to save messages: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; nothing was taken`,
      );
    }
  }

  add(line: string): void {
    this.pending.push(line);
  }

  /** Lines written and fsynced so far. */
  get count(): number {
    return this.written;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    try {
      await this.handle.appendFile(lines.join('\n') + '\n', 'utf8');
      await this.handle.sync();
    } catch (err) {
      throw new CamqError(
        'queues.saved-file',
        `writing ${this.file} failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the unsaved messages stay on the broker`,
      );
    }
    this.written += lines.length;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Header values for JSON: bytes as `{"$bytes": base64}`, everything else as is (nested tables and arrays too). */
function toJsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $bytes: value.toString('base64') };
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  }
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function fromJsonValue(value: unknown): HeaderTable[string] {
  if (Array.isArray(value)) return value.map(fromJsonValue) as HeaderTable[string];
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === '$bytes' && typeof entries[0]![1] === 'string') {
      return Buffer.from(entries[0]![1], 'base64') as unknown as HeaderTable[string];
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, fromJsonValue(v)])) as HeaderTable[string];
  }
  return value as HeaderTable[string];
}
