import { JSON_CONTENT_TYPE, type IncomingMessage, type OutgoingMessage } from './amqp-message.js';
import { encodeBody, type BodyFormat } from './body-format.js';
import { compressionByContentType } from './compression.js';
import { serializerByContentType } from './serializer.js';

/**
 * Results through the rpc:// backend (docs/protocol.md, Results over rpc://): the worker publishes to the default
 * exchange with routing key = the task's `reply_to` and `correlation_id` = the task's correlation id, no headers, JSON.
 */

export const TaskStates = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'] as const;
export type TaskState = (typeof TaskStates)[number];

/** How an exception travels in a result: Python rebuilds it from the module and type name. */
export interface ExceptionInfo {
  exc_type: string;
  exc_message: unknown[];
  exc_module: string;
}

export interface ResultBody {
  task_id: string;
  status: 'PENDING' | 'STARTED' | 'RETRY' | 'SUCCESS' | 'FAILURE' | 'REVOKED';
  /** The return value for SUCCESS; an ExceptionInfo for FAILURE, RETRY and REVOKED. */
  result: unknown;
  traceback: string | null;
  children: unknown[];
}

/** Python's builtin exception types: a JS error with one of these names is rebuilt as that type in Python. */
const PYTHON_BUILTIN_EXCEPTIONS = new Set([
  'Exception',
  'TypeError',
  'ValueError',
  'KeyError',
  'IndexError',
  'RuntimeError',
  'ZeroDivisionError',
  'AttributeError',
  'NotImplementedError',
  'AssertionError',
  'LookupError',
  'ArithmeticError',
  'OverflowError',
  'TimeoutError',
  'PermissionError',
  'FileNotFoundError',
  'OSError',
  'MemoryError',
  'RecursionError',
]);

/** The ExceptionInfo for an error named `name`; names that are not Python builtins use `exc_module` as given. */
export function exceptionInfo(name: string, message: string, module?: string): ExceptionInfo {
  const exc_module = module ?? (PYTHON_BUILTIN_EXCEPTIONS.has(name) ? 'builtins' : 'celery.exceptions');
  return { exc_type: name, exc_message: message === '' ? [] : [message], exc_module };
}

/** REVOKED results carry `TaskRevokedError` with the reason (docs/protocol.md, Results over rpc://). */
export function revokedExceptionInfo(reason: 'revoked' | 'expired' | 'terminated'): ExceptionInfo {
  return { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' };
}

export function buildResultMessage(options: {
  readonly taskId: string;
  readonly correlationId?: string;
  readonly replyTo: string;
  readonly status: ResultBody['status'];
  readonly result: unknown;
  readonly traceback?: string | null;
  readonly children?: unknown[];
  /** `result_persistent`: delivery mode 2 instead of 1. @defaultValue false */
  readonly persistent?: boolean;
  /** The worker's `result_serializer`. @defaultValue 'json' */
  readonly serializer?: BodyFormat['serializer'];
}): OutgoingMessage {
  const body: ResultBody = {
    task_id: options.taskId,
    status: options.status,
    result: options.result,
    traceback: options.traceback ?? null,
    children: options.children ?? [],
  };
  const extra = { correlationId: options.correlationId ?? options.taskId, deliveryMode: options.persistent ? 2 : 1 };
  return { exchange: '', routingKey: options.replyTo, ...encodeBody(body, { serializer: options.serializer }, extra) };
}

/**
 * The body of a result in any serializer camq speaks (pickle never), decompressed when a `compression` header says
 * so; undefined when it cannot be read.
 */
function readResultBody(msg: IncomingMessage): unknown {
  const contentType = msg.properties.contentType ?? JSON_CONTENT_TYPE;
  const compression = msg.properties.headers?.['compression'];
  if (contentType === JSON_CONTENT_TYPE && compression === undefined) return JSON.parse(msg.content.toString('utf8'));
  const serializer = serializerByContentType(contentType);
  if (serializer === undefined) return undefined;
  let content = msg.content;
  if (compression !== undefined && compression !== null) {
    const codec = compressionByContentType(compression);
    if (typeof codec === 'string') return undefined;
    content = codec.decompress(content);
  }
  return serializer.decode(content);
}

/** Read a result message; matches by `correlation_id`, falling back to `task_id` in the body. */
export function decodeResultMessage(msg: IncomingMessage): (ResultBody & { correlationId: string }) | undefined {
  let body: unknown;
  try {
    body = readResultBody(msg);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || typeof (body as ResultBody).status !== 'string') return undefined;
  const result = body as ResultBody;
  return {
    ...result,
    children: result.children ?? [],
    traceback: result.traceback ?? null,
    correlationId: msg.properties.correlationId ?? result.task_id,
  };
}
