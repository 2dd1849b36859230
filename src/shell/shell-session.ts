import { isShellAction } from '../audit/action-catalog.js';
import { DEFAULT_ACTION_POLICY, readOnlyMessage, type ActionPolicy } from '../audit/action-policy.js';
import { asCamqError, BrokerConnectionError, BrokerError, CamqError, ReplyCode, UsageError } from '../errors/index.js';
import type { SetupHook, Transport } from '../transport/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { SafeEmitter } from '../util/typed-emitter.js';
import { COMMAND_HANDLERS } from './command-handlers.js';
import { findCommand, isAmqpCommand, type AmqpCommandName } from './command-table.js';
import { completeLine, type Completion } from './completer.js';
import { lossReason } from './format-text.js';
import { parseCommand, unknownCommand, type ParsedCommand } from './parse-command.js';
import { SessionChannel } from './session-channel.js';
import type { CommandResult, ShellNotice, ShellOutcome, UnackedDelivery } from './shell-result.js';
import { isCommentOrBlank, splitLine } from './tokenize.js';

export interface ShellSessionOptions {
  /** The broker connection; the session adds a setup hook to it, so create it with `reconnect: true`. */
  readonly connection: Transport;
  /** How long a command waits for a lost connection to come back before failing unsent. @defaultValue 30_000 */
  readonly connectionWaitMs?: number;
  readonly clock?: Clock;
  /**
   * Read-only mode and the audit trail for the commands that change the broker (src/audit/action-catalog.ts):
   * refused as a failed command when read-only, recorded otherwise. @defaultValue allowed, not recorded
   */
  readonly actions?: ActionPolicy;
}

export interface ShellSessionEvents {
  /** Connection loss, reconnects, a channel the broker closed between commands: print as `-> ...` lines. */
  notice: [ShellNotice];
}

export interface ExecuteOptions {
  /** Aborts waiting for a lost connection (Ctrl-C at a prompt). */
  readonly signal?: AbortSignal;
}

/**
 * The camqadm engine: runs command lines over ONE long-lived channel, so a message taken with `basic.get` stays
 * unacked until `basic.ack` in the same session, as in Celery's docs. UI-agnostic: it takes text and returns
 * structured outcomes; the CLI and the TUI print them.
 *
 * Failures never end the session. A channel error (404 on a passive declare, 406 on a redeclare with other flags
 * or an unknown delivery tag) is reported with the command, and the channel is reopened at once; the outcome says
 * which unacked deliveries went back to their queues. A lost connection is reconnected by the transport with
 * backoff, and the session reports it through `notice` events and opens a new channel on the new connection.
 */
export class ShellSession extends SafeEmitter<ShellSessionEvents> {
  private readonly connection: Transport;
  private readonly connectionWaitMs: number;
  private readonly clock: Clock;
  private readonly actions: ActionPolicy;
  private current: SessionChannel | undefined;
  /** The channel that closed with the connection, until the connection-lost notice reports its deliveries. */
  private orphaned: SessionChannel | undefined;
  private executed = 0;
  private running = false;
  private turns: Promise<void> = Promise.resolve();
  private opening: Promise<SessionChannel> | undefined;
  private isClosed = false;
  private lostError: CamqError | undefined;
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();
  private readonly setup: SetupHook = async () => {
    await this.openChannel();
  };
  private readonly unsubscribe: () => void;

  private constructor(options: ShellSessionOptions) {
    super();
    this.connection = options.connection;
    this.connectionWaitMs = options.connectionWaitMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
    this.actions = options.actions ?? DEFAULT_ACTION_POLICY;
    this.unsubscribe = this.watchConnection();
  }

  /** Start a session on a connection; opens the channel now if the connection is open, else when it opens. */
  static async open(options: ShellSessionOptions): Promise<ShellSession> {
    const session = new ShellSession(options);
    await options.connection.addSetup(session.setup);
    return session;
  }

  /** The number the next prompt shows (`1>` before the first command). */
  get nextNumber(): number {
    return this.executed + 1;
  }

  /** Queue names this session has declared, bound, read or purged (and not deleted), for completion. */
  get knownQueues(): ReadonlySet<string> {
    return this.queues;
  }

  get knownExchanges(): ReadonlySet<string> {
    return this.exchanges;
  }

  /** Deliveries taken with `basic.get` and not yet acked, rejected or recovered, oldest first. */
  unacked(): UnackedDelivery[] {
    return this.current && !this.current.isClosed ? this.current.unackedList() : [];
  }

  /** Completion for the text before the cursor. */
  complete(line: string): Completion {
    return completeLine(line, { queues: this.queues, exchanges: this.exchanges });
  }

  /**
   * Run one line. Blank and `#` comment lines return undefined and do not count; every other line counts and
   * returns an outcome, failed or not.
   */
  async execute(line: string, options: ExecuteOptions = {}): Promise<ShellOutcome | undefined> {
    if (isCommentOrBlank(line)) return undefined;
    const number = ++this.executed;
    let words: string[];
    try {
      words = splitLine(line);
    } catch (err) {
      return failure(number, [], undefined, inputError(err), 0);
    }
    return this.inTurn(() => this.run(number, words, options));
  }

  /** Run a command already split into words (argv of a one-shot `camqadm queue.purge celery`). */
  async executeWords(words: readonly string[], options: ExecuteOptions = {}): Promise<ShellOutcome> {
    const number = ++this.executed;
    return this.inTurn(() => this.run(number, words, options));
  }

  /** End the session: close its channel (unacked deliveries go back to their queues). The connection stays open. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.connection.removeSetup(this.setup);
    this.unsubscribe();
    await this.current?.close();
    this.current = undefined;
  }

  /** Commands run one at a time, in the order they were given, even when a view fires them faster. */
  private inTurn<T>(task: () => Promise<T>): Promise<T> {
    const turn = this.turns.then(task);
    this.turns = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async run(number: number, words: readonly string[], options: ExecuteOptions): Promise<ShellOutcome> {
    const started = this.clock.monotonic();
    const elapsed = () => this.clock.monotonic() - started;
    let parsed: ParsedCommand;
    try {
      parsed = parseCommand(words);
    } catch (err) {
      return failure(number, words, undefined, inputError(err), elapsed());
    }
    const name = parsed.spec.name;
    if (!isAmqpCommand(name)) {
      let result: CommandResult = { kind: 'exit' };
      if (name === 'help') {
        const topic = parsed.args.string('command');
        const spec = topic === '' ? undefined : findCommand(topic);
        if (topic !== '' && !spec) return failure(number, words, parsed, unknownCommand(topic), elapsed());
        result = { kind: 'help', command: spec?.name };
      }
      return success(number, words, parsed, result, elapsed());
    }

    const isAction = isShellAction(name);
    if (isAction && this.actions.readOnly) {
      return failure(number, words, parsed, new UsageError(readOnlyMessage(name), 'usage.read-only'), elapsed());
    }
    const when = Date.now();
    const outcome = await this.runAmqp(number, words, parsed, name, options, elapsed);
    if (isAction) {
      await this.actions.record({
        what: `camqadm.${name}`,
        target: words[1] ?? '',
        args: { words: words.slice(1) },
        when,
        outcome: outcome.ok
          ? { ok: true }
          : { ok: false, error: outcome.error?.message ?? 'failed', ...(outcome.error ? { code: outcome.error.code } : {}) },
      });
    }
    return outcome;
  }

  private async runAmqp(
    number: number,
    words: readonly string[],
    parsed: ParsedCommand,
    name: AmqpCommandName,
    options: ExecuteOptions,
    elapsed: () => number,
  ): Promise<ShellOutcome> {
    this.running = true;
    try {
      let channel: SessionChannel;
      try {
        channel = await this.ensureChannel(options.signal);
      } catch (err) {
        return failure(number, words, parsed, asCamqError(err), elapsed());
      }
      try {
        const result = await COMMAND_HANDLERS[name](channel, parsed);
        this.remember(name, parsed, result);
        return success(number, words, parsed, result, elapsed());
      } catch (err) {
        const error = this.explain(err, channel, name);
        const channelReopened = channel.isClosed && channel.closeError ? await this.reopenAfter(channel) : undefined;
        return { ...base(number, words, parsed), ok: false, result: undefined, error, channelReopened, durationMs: elapsed() };
      }
    } finally {
      this.running = false;
    }
  }

  /** The error to report: the broker's close reason when the command cost us the channel or the connection. */
  private explain(err: unknown, channel: SessionChannel, name: AmqpCommandName): CamqError {
    // The channel's fate first: a call the close cut short fails with the transport's own words for it ('channel
    // closed'), and the broker's close reason or the connection's loss is what the user needs.
    if (channel.closeError) return channel.closeError;
    if (channel.isClosed) {
      const refusal = methodRefusal(this.lostError);
      if (refusal) return refusal;
      const reason = this.lostError ? `: ${lossReason(this.lostError)}` : '';
      return new BrokerConnectionError(
        'broker.lost',
        `lost the connection to ${this.connection.masked} during ${name}${reason}; it may or may not have taken effect`,
        this.connection.masked,
        { cause: err },
      );
    }
    return asCamqError(err);
  }

  /** After a channel error: open a new channel now, so the next command needs no reconnect. */
  private async reopenAfter(closed: SessionChannel): Promise<{ requeued: UnackedDelivery[] }> {
    const requeued = closed.unackedList();
    closed.unacked.clear();
    if (this.connection.isOpen && this.current === undefined) {
      try {
        await this.openChannel();
      } catch {
        // The connection went too; the next command waits for the reconnect.
      }
    }
    return { requeued };
  }

  private async ensureChannel(signal: AbortSignal | undefined): Promise<SessionChannel> {
    if (this.isClosed) throw new CamqError('shell.closed', 'this shell session is closed');
    if (this.current) return this.current;
    if (!this.connection.isOpen) await this.waitForConnection(signal);
    // The reconnect's setup hook normally opened it; open one if a channel error left none.
    return this.current ?? (await this.openChannel());
  }

  private async waitForConnection(signal: AbortSignal | undefined): Promise<void> {
    const notSent = (why: string) =>
      new BrokerConnectionError(
        'broker.lost',
        `not connected to ${this.connection.masked} (${why}); the command was not sent`,
        this.connection.masked,
      );
    if (signal?.aborted) throw notSent('interrupted');
    await new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(
        () => done(notSent(`still reconnecting after ${Math.round(this.connectionWaitMs / 1000)} s`)),
        this.connectionWaitMs,
      );
      const onAbort = () => done(notSent('interrupted'));
      const done = (err?: CamqError) => {
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      signal?.addEventListener('abort', onAbort);
      this.connection.whenOpen().then(
        () => done(),
        (err: unknown) => done(asCamqError(err)),
      );
    });
  }

  /** Open the session channel; concurrent callers (a reconnect, a reopen, a command) share one attempt. */
  private openChannel(): Promise<SessionChannel> {
    this.opening ??= this.openNewChannel().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openNewChannel(): Promise<SessionChannel> {
    const channel = await SessionChannel.open(this.connection, {
      onClose: (closed) => this.onChannelClose(closed),
      onStrayReturn: (returned) => this.safeEmit('notice', { kind: 'message-returned', returned }),
    });
    if (this.isClosed) {
      await channel.close();
      throw new CamqError('shell.closed', 'this shell session is closed');
    }
    this.current = channel;
    this.lostError = undefined;
    return channel;
  }

  private onChannelClose(closed: SessionChannel): void {
    if (this.current !== closed) return;
    this.current = undefined;
    // A close without a reason comes with the connection, and the connection notices tell that story.
    if (!closed.closeError) {
      this.orphaned = closed;
      return;
    }
    // A broker close between commands (a command's own close is reported with its outcome).
    if (this.running || this.isClosed) return;
    const requeued = closed.unackedList();
    closed.unacked.clear();
    this.safeEmit('notice', { kind: 'channel-closed', error: closed.closeError, requeued });
    if (this.connection.isOpen) this.openChannel().catch(() => {});
  }

  private watchConnection(): () => void {
    const onDisconnected = (error: CamqError) => {
      this.lostError = error;
    };
    const onReconnecting = (info: { attempt: number; delayMs: number; error: CamqError }) => {
      if (info.attempt === 1 && this.lostError) {
        const requeued = this.orphaned?.unackedList() ?? [];
        this.orphaned = undefined;
        this.safeEmit('notice', { kind: 'connection-lost', error: this.lostError, requeued, delayMs: info.delayMs });
      } else {
        this.safeEmit('notice', { kind: 'reconnecting', attempt: info.attempt, delayMs: info.delayMs, error: info.error });
      }
    };
    const onConnected = (info: { isReconnect: boolean }) => {
      if (info.isReconnect) this.safeEmit('notice', { kind: 'reconnected' });
    };
    const onFailed = (error: CamqError) => this.safeEmit('notice', { kind: 'reconnect-failed', error });
    this.connection.on('disconnected', onDisconnected);
    this.connection.on('reconnecting', onReconnecting);
    this.connection.on('connected', onConnected);
    this.connection.on('failed', onFailed);
    return () => {
      this.connection.off('disconnected', onDisconnected);
      this.connection.off('reconnecting', onReconnecting);
      this.connection.off('connected', onConnected);
      this.connection.off('failed', onFailed);
    };
  }

  /** Keep the names a successful command showed to exist, for completion; forget deleted ones. */
  private remember(name: AmqpCommandName, { args }: ParsedCommand, result: CommandResult): void {
    const value = (key: string) => args.values[key] as string;
    switch (name) {
      case 'exchange.declare':
        this.exchanges.add(value('exchange'));
        break;
      case 'exchange.delete':
        this.exchanges.delete(value('exchange'));
        break;
      case 'queue.declare':
        if (result.kind === 'queue-declared') this.queues.add(result.queue);
        break;
      case 'queue.delete':
        this.queues.delete(value('queue'));
        break;
      case 'queue.bind':
      case 'queue.unbind':
        this.queues.add(value('queue'));
        if (value('exchange') !== '') this.exchanges.add(value('exchange'));
        break;
      case 'queue.purge':
      case 'basic.get':
        this.queues.add(value('queue'));
        break;
      case 'basic.publish':
        if (value('exchange') !== '') this.exchanges.add(value('exchange'));
        break;
      default:
        break;
    }
  }
}

function base(number: number, words: readonly string[], parsed: ParsedCommand | undefined) {
  return {
    number,
    words,
    command: parsed?.spec.name,
    args: parsed?.args.values,
    properties: parsed?.properties,
  };
}

function success(number: number, words: readonly string[], parsed: ParsedCommand, result: CommandResult, durationMs: number): ShellOutcome {
  return { ...base(number, words, parsed), ok: true, result, error: undefined, channelReopened: undefined, durationMs };
}

function failure(number: number, words: readonly string[], parsed: ParsedCommand | undefined, error: CamqError, durationMs: number): ShellOutcome {
  return { ...base(number, words, parsed), ok: false, result: undefined, error, channelReopened: undefined, durationMs };
}

/** A line the parser refused; anything but a CamqError there is a bug, still reported as one line with nothing sent. */
function inputError(err: unknown): CamqError {
  if (err instanceof CamqError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CamqError('shell.internal', `camqadm could not read this line (${message}); nothing was sent`, { cause: err });
}

/**
 * The broker's refusal of the command's own method when it answered by closing the whole connection (a hard error:
 * 503 COMMAND_INVALID, 530 NOT_ALLOWED, RabbitMQ 4.3's 541 for a transient non-exclusive queue): the command
 * certainly did not take effect. Not for closes of the broker's own (320 CONNECTION_FORCED, an internal 541).
 */
function methodRefusal(lost: CamqError | undefined): BrokerError | undefined {
  const cause = lost?.cause;
  if (!(cause instanceof BrokerError) || cause.isChannelError) return undefined;
  if (cause.replyCode === ReplyCode.CONNECTION_FORCED) return undefined;
  if (cause.replyCode === ReplyCode.INTERNAL_ERROR && !cause.replyText.includes('transient_nonexcl_queues')) return undefined;
  return cause;
}
