/**
 * Every code a CamqError carries, in one list: callers branch on them (`err.code === 'broker.not-found'`), so a code
 * is part of camq's interface and is added here, never made up where it is thrown. CamqError's constructor takes
 * only these, so the type checker holds every throw to the list. A code is `<area>.<what-went-wrong>`: the area says
 * who noticed (the broker, the shell, a task module), not which file.
 */
export const ERROR_CODES = [
  // Reaching and talking to a broker (BrokerConnectionError, ConnectionClosedError; exit 2).
  'broker.unreachable',
  'broker.tls-untrusted',
  'broker.auth-failed',
  'broker.timeout',
  'broker.lost',
  'broker.closed',
  'broker.embedded-unresolved',
  // The broker refused something (BrokerError): one code per AMQP reply code (ReplyCode, kebab-case), and
  // broker.error for a reply code outside the specification or an error amqplib gives without one.
  'broker.content-too-large',
  'broker.no-route',
  'broker.no-consumers',
  'broker.connection-forced',
  'broker.invalid-path',
  'broker.access-refused',
  'broker.not-found',
  'broker.resource-locked',
  'broker.precondition-failed',
  'broker.frame-error',
  'broker.syntax-error',
  'broker.command-invalid',
  'broker.channel-error',
  'broker.unexpected-frame',
  'broker.resource-error',
  'broker.not-allowed',
  'broker.not-implemented',
  'broker.internal-error',
  'broker.error',
  'broker.nacked',
  // `camq broker`, the embedded broker.
  'broker.port-in-use',
  'broker.listen-failed',
  // Sending.
  'amqp.unencodable',
  'publish.bad-expiration',
  'publish.no-exchange',
  'publish.channel-closed',
  'publish.backlog-full',
  'publish.unroutable',
  // The user typed something camq cannot act on (UsageError; exit 1).
  'usage.bad-argument',
  'usage.bad-listen',
  'usage.bad-broker-url',
  'usage.bad-failover',
  'usage.bad-api-url',
  'usage.bad-rate',
  'usage.bad-serializer',
  'usage.bad-schedule',
  'usage.bad-signal',
  'usage.cancelled',
  'usage.missing-task-id',
  'usage.task-module',
  'usage.task-definition',
  'usage.unknown-command',
  'usage.unknown-inspect-target',
  // --read-only / CAMQ_READ_ONLY=1 refused an action (src/audit).
  'usage.read-only',
  // `camq call`: a --args/--kwargs that is not JSON of the right shape, a bad --eta/--expires.
  'usage.bad-json',
  'usage.bad-date',
  // `camq replay`: a path that is neither a journal directory nor a JSON-lines file of events, or holds none.
  'usage.bad-replay-source',
  // commander's own errors, as cli/usage-hint.ts renames them (commander.unknownOption → usage.unknown-option).
  'usage.conflicting-option',
  'usage.error',
  'usage.excess-arguments',
  'usage.execute-sub-command-async',
  'usage.invalid-argument',
  'usage.missing-argument',
  'usage.missing-mandatory-option-value',
  'usage.option-missing-argument',
  'usage.unknown-option',
  // camqadm (ShellSession and its parser).
  'shell.arity',
  'shell.bad-boolean',
  'shell.bad-integer',
  'shell.bad-property',
  'shell.closed',
  'shell.immediate-unsupported',
  'shell.internal',
  'shell.message-returned',
  'shell.syntax',
  'shell.too-deep',
  'shell.too-long',
  'shell.unknown-command',
  'shell.unknown-delivery-tag',
  // Remote control.
  'control.callback-failed',
  'control.no-reply',
  'control.expected-failed',
  'control.expected-late',
  // Tasks sent from Node (AsyncResult) and the worker.
  'task.failed',
  'task.timeout',
  // A retry camq refuses (src/dispatch): the exact arguments are not known, or the task is not one it can resend.
  'retry.args-unknown',
  'retry.args-truncated',
  'retry.args-not-literal',
  'retry.args-lossy',
  'worker.duplicate-nodename',
  'worker.statedb',
  // camq beat: another beat holds the broker lock; the last-run state file cannot be read or written.
  'beat.locked',
  'beat.state-file',
  'worker.delay-unavailable',
  // Queue operations (camq queues peek|purge|publish|move).
  'queues.peek-refused',
  'queues.unsupported-type',
  'queues.target-missing',
  'queues.same-queue',
  'queues.saved-file',
  'queues.bad-saved-lines',
  'queues.move-failed',
  // RabbitMQ's management HTTP API (src/queues): unreachable, slow, refusing, or not answering JSON (exit 2).
  'api.unreachable',
  'api.tls-untrusted',
  'api.timeout',
  'api.unauthorized',
  'api.forbidden',
  'api.not-found',
  'api.not-json',
  'api.http-error',
  'api.other-broker',
  // Queue figures (src/queues).
  'queues.no-figures',
  // The metrics endpoint (src/http): a --listen/--metrics address that cannot be bound (in use, not ours; exit 1).
  'metrics.listen-failed',
  // The journal (src/journal): `camq record` cannot write it (a full disk, a read-only directory; exit 1).
  'journal.unwritable',
  // A command asked the CLI to exit with a status (ExitRequest), not a failure.
  'cli.exit',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(text: string): text is ErrorCode {
  return KNOWN.has(text);
}
