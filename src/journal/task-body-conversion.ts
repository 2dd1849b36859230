/**
 * A task message's body between the tap's form (TappedTaskBody: the bytes as a Buffer, amqplib's property names) and
 * the journal's (TaskBodyRecord: base64, JSON-safe), both ways: the recorder writes what the tap saw, the retry engine
 * reads it back and re-publishes it byte for byte (docs/retry.md).
 */
import type { TappedTaskBody } from '../protocol/trace-message.js';
import type { JournalReader } from './journal-reader.js';
import type { TaskBodyRecord } from './journal-records.js';

/** A field table's values as JSON can hold them: Buffers as their UTF-8 text (header values are text in Celery). */
function jsonSafe(table: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(table, (_key, value: unknown) => (isBufferJson(value) ? Buffer.from(value.data).toString('utf8') : value)),
  ) as Record<string, unknown>;
}

function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  );
}

export function taskBodyRecord(task: TappedTaskBody): TaskBodyRecord {
  return {
    taskId: task.taskId,
    name: task.name,
    contentType: task.contentType,
    contentEncoding: task.contentEncoding ?? '',
    body: task.body.toString('base64'),
    headers: jsonSafe(task.headers),
    properties: jsonSafe(task.properties as Record<string, unknown>),
    exchange: task.exchange,
    routingKey: task.routingKey,
  };
}

export function tappedTaskBody(record: TaskBodyRecord): TappedTaskBody {
  return {
    taskId: record.taskId,
    name: record.name,
    // Protocol 2 names the task in its headers; protocol 1 in its body.
    protocol: typeof record.headers['task'] === 'string' ? 2 : 1,
    contentType: record.contentType,
    contentEncoding: record.contentEncoding === '' ? null : record.contentEncoding,
    body: Buffer.from(record.body, 'base64'),
    headers: record.headers,
    properties: record.properties,
    exchange: record.exchange,
    routingKey: record.routingKey,
  };
}

/** The exact message of task `taskId` as the journal holds it (tapped, or recorded at the source), for a retry. */
export function journaledTaskBody(reader: Pick<JournalReader, 'taskBody'>, taskId: string): TappedTaskBody | undefined {
  const record = reader.taskBody(taskId);
  return record === undefined ? undefined : tappedTaskBody(record);
}
