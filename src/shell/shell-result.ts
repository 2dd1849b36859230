import type { CamqError } from '../errors/index.js';
import type { ArgValue, CommandName } from './command-table.js';
import type { PropertiesView } from './message-properties.js';

/**
 * What the shell engine returns: structured data first (the `--json` output and the TUI read it as is), with the
 * AMQP/Celery field names (`message_count`, `delivery_info`), and text made from it by format-text.ts.
 */

/** A message taken with `basic.get`, shaped like Celery's dump: body, delivery_info, properties. */
export interface FetchedMessage {
  /** The body as text when it is valid UTF-8, else base64 (see `body_encoding`). */
  readonly body: string;
  readonly body_encoding: 'utf-8' | 'base64';
  readonly delivery_info: {
    readonly delivery_tag: number;
    readonly exchange: string;
    readonly routing_key: string;
    readonly redelivered: boolean;
    /** Messages left in the queue after this one. */
    readonly message_count: number;
  };
  readonly properties: PropertiesView;
}

export type CommandResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'queue-declared'; readonly queue: string; readonly message_count: number; readonly consumer_count: number }
  | { readonly kind: 'messages-deleted'; readonly message_count: number }
  | { readonly kind: 'message'; readonly message: FetchedMessage }
  | { readonly kind: 'no-message'; readonly queue: string }
  | { readonly kind: 'help'; readonly command: CommandName | undefined }
  | { readonly kind: 'exit' };

/** A message the broker handed back (basic.return): `mandatory` and no queue took it. */
export interface ReturnedMessage {
  readonly reply_code: number;
  readonly reply_text: string;
  readonly exchange: string;
  readonly routing_key: string;
}

/** An unacked delivery of the session's channel (a `basic.get` without no_ack). */
export interface UnackedDelivery {
  readonly delivery_tag: number;
  readonly queue: string;
}

/** One executed command line. */
export interface ShellOutcome {
  /** The prompt number of this line (`3>`): every non-blank, non-comment line counts, failed ones too. */
  readonly number: number;
  /** The words as typed, after quote removal. */
  readonly words: readonly string[];
  /** The command, when the name was known. */
  readonly command: CommandName | undefined;
  /** Coerced arguments by name, when they parsed. */
  readonly args: Readonly<Record<string, ArgValue>> | undefined;
  /** `basic.publish` properties, when given. */
  readonly properties: PropertiesView | undefined;
  readonly ok: boolean;
  readonly result: CommandResult | undefined;
  readonly error: CamqError | undefined;
  /**
   * Set when the broker closed the channel because of this command and the session opened a new one: the
   * deliveries that were unacked on the old channel went back to their queues, and delivery tags start at 1 again.
   */
  readonly channelReopened: { readonly requeued: readonly UnackedDelivery[] } | undefined;
  readonly durationMs: number;
}

/** Things that happen to a session between or during commands, for the view to print as `-> ...` lines. */
export type ShellNotice =
  | {
      readonly kind: 'connection-lost';
      readonly error: CamqError;
      /** Unacked deliveries of the lost channel, which the broker put back in their queues. */
      readonly requeued: readonly UnackedDelivery[];
      readonly delayMs: number;
    }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly error: CamqError }
  | { readonly kind: 'reconnected' }
  | { readonly kind: 'reconnect-failed'; readonly error: CamqError }
  /** The broker closed the channel while no command ran; the session reopened it. */
  | { readonly kind: 'channel-closed'; readonly error: CamqError; readonly requeued: readonly UnackedDelivery[] }
  /** A basic.return that arrived outside a publish. */
  | { readonly kind: 'message-returned'; readonly returned: ReturnedMessage };
