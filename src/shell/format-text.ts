import { oneLine } from '../util/one-line.js';
import { COMMANDS, findCommand, formatDefault, signature, usageLine, type CommandName } from './command-table.js';
import { BOOLEAN_WORDS } from './coerce.js';
import { MessageReturnedError } from './message-returned-error.js';
import { PyLiteral, pformat, pyBytesRepr } from './pretty-print.js';
import { PUBLISH_PROPERTIES } from './publish-properties.js';
import type { CommandResult, FetchedMessage, ShellNotice, ShellOutcome, UnackedDelivery } from './shell-result.js';
import type { CamqError } from '../errors/index.js';

/**
 * Outcomes and notices as the text Celery's docs show (`ok.`, `ok. queue:testqueue messages:0 consumers:0.`, the
 * pretty-printed message of `basic.get`). Plain strings with a tone; the view adds colour (chalk in the CLI, Ink
 * colours in the TUI). Results go to stdout; errors and `-> ...` notices to stderr, so scripted output stays data.
 */
export type Tone = 'ok' | 'error' | 'notice' | 'plain';

export interface TextLine {
  readonly stream: 'out' | 'err';
  readonly tone: Tone;
  /** A prefix the tone colours (`Error:`), the text after it staying plain; without it the tone colours the text. */
  readonly label?: string;
  readonly text: string;
}

const out = (text: string, tone: Tone = 'plain'): TextLine => ({ stream: 'out', tone, text });
const notice = (text: string, tone: Tone = 'notice'): TextLine => ({ stream: 'err', tone, text: `-> ${text}` });

export function formatOutcome(outcome: ShellOutcome): TextLine[] {
  const lines: TextLine[] = [];
  if (outcome.error) lines.push({ stream: 'err', tone: 'error', label: 'Error:', text: oneLine(outcome.error.message) });
  if (outcome.result) lines.push(...formatResult(outcome.result));
  if (outcome.channelReopened) {
    const requeued = outcome.channelReopened.requeued;
    lines.push(notice(requeued.length === 0 ? 'channel reopened.' : `channel reopened; ${requeuedSentence(requeued)}.`));
  }
  return lines;
}

export function formatResult(result: CommandResult): TextLine[] {
  switch (result.kind) {
    case 'ok':
      return [out('ok.', 'ok')];
    case 'queue-declared':
      return [out(`ok. queue:${result.queue} messages:${result.message_count} consumers:${result.consumer_count}.`, 'ok')];
    case 'messages-deleted':
      return [out(`ok. ${result.message_count} ${result.message_count === 1 ? 'message' : 'messages'} deleted.`, 'ok')];
    case 'message':
      return formatMessage(result.message)
        .split('\n')
        .map((line) => out(line));
    case 'no-message':
      return [out('No messages in queue. basic.publish something.')];
    case 'help':
      return helpLines(result.command).map((line) => out(line));
    case 'exit':
      return [];
  }
}

/** Celery's dump of a message: `{'body': ..., 'delivery_info': {...}, 'properties': {...}}`. */
export function formatMessage(message: FetchedMessage): string {
  const body = message.body_encoding === 'base64' ? new PyLiteral(pyBytesRepr(Buffer.from(message.body, 'base64'))) : message.body;
  return pformat({ body, delivery_info: message.delivery_info, properties: message.properties });
}

export function formatNotice(event: ShellNotice): TextLine {
  switch (event.kind) {
    case 'connection-lost': {
      const requeued = event.requeued.length > 0 ? `${requeuedSentence(event.requeued)}; ` : '';
      return notice(`connection lost (${lossReason(event.error)}); ${requeued}reconnecting in ${seconds(event.delayMs)}.`);
    }
    case 'reconnecting':
      return notice(`still no connection (${lossReason(event.error)}); retrying in ${seconds(event.delayMs)} (attempt ${event.attempt}).`);
    case 'reconnected':
      return notice('connected.', 'ok');
    case 'reconnect-failed':
      return notice(`gave up reconnecting: ${event.error.message}`);
    case 'channel-closed': {
      const requeued = event.requeued.length > 0 ? `; ${requeuedSentence(event.requeued)}` : '';
      return notice(`the broker closed the channel (${event.error.message}); reopened it${requeued}.`);
    }
    case 'message-returned':
      return notice(new MessageReturnedError(event.returned).message);
  }
}

/** "the unacked message with delivery tag 1 went back to queue 'q' (new delivery tags start at 1)". */
export function requeuedSentence(requeued: readonly UnackedDelivery[]): string {
  const queues = [...new Set(requeued.map((d) => d.queue))];
  const where = queues.length === 1 ? `queue '${queues[0]}'` : 'their queues';
  const what =
    requeued.length === 1
      ? `the unacked message with delivery tag ${requeued[0]!.delivery_tag}`
      : `${requeued.length} unacked messages (delivery tags ${requeued.map((d) => d.delivery_tag).join(', ')})`;
  return `${what} went back to ${where} (new delivery tags start at 1)`;
}

/** The broker's or the socket's reason inside a "lost the connection" error. */
export function lossReason(error: CamqError): string {
  const cause = error.cause;
  if (cause instanceof Error && cause.message) return cause.message;
  return error.message;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `help` and `help <command>`. */
export function helpLines(command?: CommandName): string[] {
  const spec = command === undefined ? undefined : findCommand(command);
  if (!spec) {
    // Celery's list: each command with its signature, defaults as name:default.
    const width = Math.max(...COMMANDS.map((c) => c.name.length));
    return [
      'Commands',
      '--------',
      ...COMMANDS.map((c) => `${c.name.padEnd(width)}  ${signature(c)}`.trimEnd()),
      '',
      `'help <command>' says what it does. Booleans: ${BOOLEAN_WORDS}. Quote words with spaces: "like this".`,
      'Example:',
      '    -> queue.delete myqueue yes no',
    ];
  }
  const lines = [`usage: ${usageLine(spec)}`, spec.summary];
  if (spec.args.length > 0) {
    const width = Math.max(...spec.args.map((a) => a.name.length));
    lines.push('');
    for (const arg of spec.args) {
      const fallback = arg.default === undefined ? '' : ` (default ${formatDefault(arg.default)})`;
      lines.push(`  ${arg.name.padEnd(width)}  ${arg.help}${fallback}`);
    }
  }
  if (spec.details) lines.push('', ...spec.details);
  if (spec.takesProperties) {
    const words = PUBLISH_PROPERTIES.map((p) => (p.name.endsWith('.') ? `${p.name}${p.value}` : `${p.name}=${p.value}`));
    const width = Math.max(...words.map((w) => w.length));
    PUBLISH_PROPERTIES.forEach((p, i) => lines.push(`  ${words[i]!.padEnd(width)}  ${p.help}`));
  }
  if (spec.examples) lines.push('', 'Examples:', ...spec.examples.map((e) => `    -> ${e}`));
  return lines;
}
