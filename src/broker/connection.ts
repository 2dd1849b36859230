/**
 * One client connection: the protocol header, the handshake (start, PLAIN or AMQPLAIN login, tune, open), frame
 * parsing, the channel multiplexer, heartbeats in both directions, and closing from either side.
 *
 * Frames to the client are collected while a batch of input is handled and written once per tick (one buffer),
 * with the publisher confirms owed by each channel folded into one basic.ack.
 *
 * Flow control, as RabbitMQ's: when the output waiting for this client is over its bound (a client that does not
 * read), deliveries to it pause and its input is no longer read (so it cannot ask for more returns or get-oks)
 * until the socket drains; while the memory alarm is on, a connection that publishes is told connection.blocked
 * (when it announced that capability) and its input is no longer read until the alarm clears. Input not yet
 * handled then waits in `held`, and TCP pushes back on the client.
 */
import type { Socket } from 'node:net';
import {
  decodeMethod,
  decodeTable,
  encodeMethod,
  FrameType,
  HEARTBEAT_FRAME,
  Method,
  methodName,
  parseFrame,
  PROTOCOL_HEADER,
  type FieldTable,
  type InboundMethod,
  type StartOkFields,
} from './amqp-codec.js';
import {
  AmqpException,
  accessRefused,
  channelError,
  commandInvalid,
  frameError,
  notAllowed,
  notImplemented,
  toAmqpException,
  unexpectedFrame,
} from './amqp-exception.js';
import { Channel, type ChannelHost } from './channel.js';
import type { LoginThrottle } from './login-throttle.js';
import { logText } from '../util/one-line.js';
import { isLoopbackAddress } from './loopback-address.js';
import type { MemoryMonitor } from './memory-monitor.js';
import type { VirtualHost } from './vhost.js';
import { ReplyCode } from '../errors/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/** Frame size every peer must accept before tune (AMQP 0-9-1 frame-min-size). */
const FRAME_MIN_SIZE = 4096;
/** How long a closing connection waits for the client's close-ok. */
const CLOSE_OK_TIMEOUT_MS = 2000;
/** RabbitMQ's pause before it drops a client whose handshake it refused silently (rabbit_reader's SILENT_CLOSE_DELAY). */
const SILENT_CLOSE_DELAY_MS = 3000;

export interface ConnectionSettings {
  readonly users: ReadonlyMap<string, string>;
  readonly vhosts: ReadonlyMap<string, VirtualHost>;
  /** Proposed in connection.tune. */
  readonly heartbeat: number;
  readonly frameMax: number;
  readonly channelMax: number;
  readonly serverProperties: FieldTable;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The memory alarm, and the count of what connections hold (output, messages being assembled). */
  readonly memory: MemoryMonitor;
  /** A connection still short of connection.open after this long is dropped, as RabbitMQ's handshake_timeout. */
  readonly handshakeTimeoutMs: number;
  /** Output bytes waiting for one client beyond which its deliveries pause and its input is not read. */
  readonly outputBound: number;
  /** Users who may log in only from a loopback address (RabbitMQ's loopback_users). */
  readonly loopbackUsers: ReadonlySet<string>;
  readonly loginThrottle: LoginThrottle;
  /** The connection cap: a login beyond it is refused with 530. */
  readonly maxConnections: number;
  /** How many connections are logged in, this one not included. */
  admittedConnections(): number;
}

type State = 'header' | 'start' | 'login' | 'tune' | 'open' | 'running' | 'closing' | 'closed';

export class Connection implements ChannelHost {
  readonly owner: object = this;
  vhost!: VirtualHost;
  frameMax = FRAME_MIN_SIZE;
  cancelNotify = false;
  /** Logged in (past connection.start-ok), until closed: counted against the connection cap. */
  admitted = false;
  /** The `connection_name` the client announced in its properties, as `rabbitmqctl list_connections` shows it. */
  clientName: string | undefined;

  private state: State = 'header';
  private user = '';
  private channelMax = 0;
  private readonly channels = new Map<number, Channel>();
  private pending: Buffer | undefined;
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private readonly confirmChannels: Channel[] = [];
  private heartbeatTimer: TimerHandle | undefined;
  private closeTimer: TimerHandle | undefined;
  private receivedSinceTick = false;
  private sentSinceTick = false;
  private silentTicks = 0;
  private readonly peer: string;
  private handshakeTimer: TimerHandle | undefined;
  private withdrawLogin: (() => void) | undefined;
  /** Input received but not handled while reading is paused (flow control). */
  private held: Buffer | undefined;
  private readPaused = false;
  /** Output went over its bound: consumers or input wait for the socket to drain. */
  private throttled = false;
  /** The client announced the connection.blocked capability. */
  private blockedNotify = false;
  /** This connection published: it is a publisher for the memory alarm. */
  private published = false;
  /** A basic.publish arrived while the alarm was on: input stays paused until it clears. */
  private blockedByAlarm = false;
  /** connection.blocked was sent and unblocked is owed. */
  private toldBlocked = false;
  private readonly stopWatchingAlarm: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly settings: ConnectionSettings,
    private readonly onClosed: (connection: Connection) => void,
  ) {
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onDataSafely(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => this.settings.logger.debug(`connection ${this.peer}: ${err.message}`));
    socket.on('close', () => this.onSocketClose());
    this.handshakeTimer = settings.clock
      .setTimeout(() => {
        this.settings.logger.warning(
          `connection ${this.peer}: closed, no AMQP handshake within ${settings.handshakeTimeoutMs / 1000}s (handshake_timeout)`,
        );
        this.state = 'closed';
        this.socket.destroy();
      }, settings.handshakeTimeoutMs)
      .unref();
    this.stopWatchingAlarm = settings.memory.onChange((alarm) => this.onAlarm(alarm));
  }

  get memory(): MemoryMonitor {
    return this.settings.memory;
  }

  send(frames: Buffer): void {
    if (this.state === 'closed') return;
    this.out.push(frames);
    this.outBytes += frames.length;
    this.settings.memory.add(frames.length);
    this.scheduleFlush();
  }

  /** Output waiting for this client (not yet written, or written and not yet taken by the kernel) is over its bound. */
  outputCongested(): boolean {
    if (this.outBytes + this.socket.writableLength <= this.settings.outputBound) return false;
    this.throttled = true;
    return true;
  }

  traceOrigin(): { readonly connection: string; readonly user: string } {
    return { connection: `${this.peer} -> ${this.socket.localAddress ?? '?'}:${this.socket.localPort ?? '?'}`, user: this.user };
  }

  confirmPending(channel: Channel): void {
    if (channel.confirmQueued) return;
    channel.confirmQueued = true;
    this.confirmChannels.push(channel);
    this.scheduleFlush();
  }

  /** Close from the broker side (shutdown): connection.close 320, then the socket. */
  forceClose(reason: string): void {
    this.fail(new AmqpException(ReplyCode.CONNECTION_FORCED, reason), 0);
  }

  // ---- input ------------------------------------------------------------------------------------------------

  /** Nothing a client sends may take the broker down: a bug while handling input ends only this connection. */
  private onDataSafely(chunk: Buffer): void {
    try {
      this.onData(chunk);
    } catch (err) {
      this.settings.logger.error(`connection ${this.peer}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.socket.destroy();
    }
  }

  private onData(chunk: Buffer): void {
    this.receivedSinceTick = true;
    if (this.held !== undefined || this.readPaused) {
      // Paused sockets stop emitting, but a chunk may already be on its way.
      this.held = this.held === undefined ? chunk : Buffer.concat([this.held, chunk]);
      return;
    }
    let data = chunk;
    const pending = this.pending;
    if (pending !== undefined) {
      this.pending = undefined;
      if (pending.length >= 7 && this.state !== 'header') {
        // Complete the frame that was cut off, copying only its own bytes rather than the whole chunk.
        const missing = 8 + pending.readUInt32BE(3) - pending.length;
        if (chunk.length < missing) {
          this.pending = Buffer.concat([pending, chunk]);
          return;
        }
        this.consume(Buffer.concat([pending, chunk.subarray(0, missing)]));
        data = chunk.subarray(missing);
      } else {
        data = Buffer.concat([pending, chunk]);
      }
    }
    this.consume(data);
  }

  private consume(input: Buffer): void {
    let data = input;
    if (this.state === 'header') {
      if (data.length < PROTOCOL_HEADER.length) {
        this.pending = data;
        return;
      }
      if (!data.subarray(0, PROTOCOL_HEADER.length).equals(PROTOCOL_HEADER)) {
        // AMQP 0-9-1 §4.2.2: answer a protocol header we do not speak with ours, then close.
        this.socket.end(PROTOCOL_HEADER);
        this.state = 'closed';
        return;
      }
      data = data.subarray(PROTOCOL_HEADER.length);
      this.start();
    }
    while (data.length > 0 && this.state !== 'closed') {
      let frame;
      try {
        frame = parseFrame(data, this.frameMax);
      } catch (err) {
        this.fail(frameError(err instanceof Error ? err.message : String(err)), 0);
        return;
      }
      if (frame === false) break;
      data = frame.rest;
      this.onFrame(frame.type, frame.channel, frame.payload);
      if (this.mustPauseInput()) {
        if (data.length > 0) this.held = data;
        this.pauseInput();
        return;
      }
    }
    if (data.length > 0 && this.state !== 'closed') this.pending = data;
  }

  /** Flow control: stop handling input while output is over its bound or a publisher is blocked by the alarm. */
  private mustPauseInput(): boolean {
    if (this.state !== 'running') return false;
    return this.blockedByAlarm || this.outputCongested();
  }

  private pauseInput(): void {
    if (this.readPaused) return;
    this.readPaused = true;
    this.socket.pause();
  }

  /** Handle the input held while paused, then read the socket again, unless flow control still says no. */
  private resumeInput(): void {
    if (!this.readPaused || this.state === 'closed') return;
    if (this.blockedByAlarm || this.outputCongested()) return;
    this.readPaused = false;
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) {
      this.onDataSafely(held);
      if (this.readPaused) return;
    }
    this.socket.resume();
  }

  private onFrame(type: number, channelId: number, payload: Buffer): void {
    if (this.state === 'login') return; // the login waits for its turn (login-throttle.ts); nothing else counts
    if (this.state === 'closing') {
      if (type === FrameType.method && channelId === 0) this.onClosingMethod(payload);
      return;
    }
    switch (type) {
      case FrameType.method: {
        let method: InboundMethod;
        try {
          method = decodeMethod(payload);
        } catch (err) {
          this.fail(commandInvalid(`cannot decode method frame: ${err instanceof Error ? err.message : String(err)}`), 0);
          return;
        }
        if (channelId === 0) this.guard(() => this.onConnectionMethod(method), method.id);
        else this.onChannelMethod(channelId, method, payload);
        return;
      }
      case FrameType.header:
      case FrameType.body:
        this.onContent(type, channelId, payload);
        return;
      case FrameType.heartbeat:
        return;
      default:
        this.fail(frameError(`unknown frame type ${type}`), 0);
    }
  }

  private onConnectionMethod(method: InboundMethod): void {
    switch (this.state) {
      case 'start':
        if (method.id !== Method.ConnectionStartOk) throw commandInvalid(`expected connection.start-ok, got ${methodName(method.id)}`);
        return this.login(method.fields);
      case 'tune': {
        if (method.id !== Method.ConnectionTuneOk) throw commandInvalid(`expected connection.tune-ok, got ${methodName(method.id)}`);
        const refusal = this.negotiationFailure(method.fields.frameMax, method.fields.channelMax);
        if (refusal !== undefined) return this.refuseTune(refusal);
        this.frameMax = method.fields.frameMax;
        this.channelMax = method.fields.channelMax;
        this.startHeartbeat(method.fields.heartbeat);
        this.state = 'open';
        return;
      }
      case 'open': {
        if (method.id !== Method.ConnectionOpen) throw commandInvalid(`expected connection.open, got ${methodName(method.id)}`);
        const vhost = this.settings.vhosts.get(method.fields.virtualHost);
        if (vhost === undefined) throw notAllowed(`vhost ${method.fields.virtualHost} not found`);
        this.vhost = vhost;
        this.state = 'running';
        this.cancelHandshakeTimer();
        this.settings.logger.info(`connection ${this.peer}: user '${logText(this.user)}' opened vhost '${logText(vhost.name)}'`);
        return this.send(encodeMethod(Method.ConnectionOpenOk, 0, { knownHosts: '' }));
      }
      default:
        switch (method.id) {
          case Method.ConnectionClose:
            return this.closeByClient();
          case Method.ConnectionBlocked:
          case Method.ConnectionUnblocked:
          case Method.ConnectionCloseOk:
            return;
          case Method.ConnectionUpdateSecret:
            throw notImplemented('connection.update-secret');
          default:
            throw channelError('unexpected method in connection state running');
        }
    }
  }

  private onChannelMethod(channelId: number, method: InboundMethod, payload: Buffer): void {
    if (this.state !== 'running') {
      this.fail(channelError(`expected connection.open before ${methodName(method.id)}`), method.id);
      return;
    }
    if (method.id === Method.BasicPublish) this.onPublish();
    const channel = this.channels.get(channelId);
    if (method.id === Method.ChannelOpen) {
      if (channel !== undefined) return this.fail(channelError("second 'channel.open' seen"), method.id);
      if (channelId > this.channelMax)
        return this.fail(notAllowed(`channel number ${channelId} is above the negotiated channel_max ${this.channelMax}`), method.id);
      this.channels.set(channelId, new Channel(channelId, this));
      return this.send(encodeMethod(Method.ChannelOpenOk, channelId, { channelId: Buffer.alloc(0) }));
    }
    if (channel === undefined) return this.fail(channelError("expected 'channel.open'"), method.id);
    if (method.id === Method.ChannelClose) {
      channel.release();
      this.channels.delete(channelId);
      return this.send(encodeMethod(Method.ChannelCloseOk, channelId, {}));
    }
    if (method.id === Method.ChannelCloseOk) {
      if (channel.closing) this.channels.delete(channelId);
      return;
    }
    if (channel.closing) return; // everything but close and close-ok is dropped until the client's close-ok
    try {
      channel.handle(method, payload);
    } catch (err) {
      this.raise(err, channel, method.id);
    }
  }

  private onContent(type: number, channelId: number, payload: Buffer): void {
    const channel = this.channels.get(channelId);
    if (channel === undefined || this.state !== 'running')
      return this.fail(unexpectedFrame('expected method frame, got non method frame instead'), 0);
    if (channel.closing) return;
    try {
      if (type === FrameType.header) channel.onHeader(payload);
      else channel.onBody(payload);
    } catch (err) {
      this.raise(err, channel, Method.BasicPublish);
    }
  }

  /** While closing, only connection.close-ok (or a crossing connection.close) matters. */
  private onClosingMethod(payload: Buffer): void {
    const id = payload.length >= 4 ? payload.readUInt32BE(0) : 0;
    if (id === Method.ConnectionClose) this.send(encodeMethod(Method.ConnectionCloseOk, 0, {}));
    if (id === Method.ConnectionClose || id === Method.ConnectionCloseOk) this.destroy();
  }

  // ---- handshake --------------------------------------------------------------------------------------------

  private start(): void {
    this.state = 'start';
    this.send(
      encodeMethod(Method.ConnectionStart, 0, {
        versionMajor: 0,
        versionMinor: 9,
        serverProperties: this.settings.serverProperties,
        mechanisms: Buffer.from('PLAIN AMQPLAIN'),
        locales: Buffer.from('en_US'),
      }),
    );
  }

  private login(fields: StartOkFields): void {
    const name = fields.clientProperties['connection_name'];
    this.clientName = typeof name === 'string' ? name : Buffer.isBuffer(name) ? name.toString('utf8') : undefined;
    const capabilities = fields.clientProperties['capabilities'];
    const capable = (key: string) =>
      typeof capabilities === 'object' && capabilities !== null && !Buffer.isBuffer(capabilities) && (capabilities as FieldTable)[key] === true;
    this.cancelNotify = capable('consumer_cancel_notify');
    this.blockedNotify = capable('connection.blocked');
    const credentials = readCredentials(fields.mechanism, fields.response);
    // Checked in turn with the other logins from this address (login-throttle.ts); input waits meanwhile.
    this.state = 'login';
    this.withdrawLogin = this.settings.loginThrottle.submit(this.socket.remoteAddress ?? '?', () => {
      this.withdrawLogin = undefined;
      if (this.state !== 'login') return true; // gone while waiting: nothing was checked
      const refusal = this.checkLogin(credentials);
      if (refusal !== undefined) {
        this.settings.logger.warning(`connection ${this.peer}: ${logText(fields.mechanism)} login refused: ${refusal}`);
        this.fail(
          accessRefused(`Login was refused using authentication mechanism ${fields.mechanism}. For details see the broker logfile.`),
          Method.ConnectionStartOk,
        );
        return false;
      }
      // Over the cap, a client is told so in its handshake (amqplib shows a close after start-ok, not after open).
      const admitted = this.settings.admittedConnections();
      if (admitted >= this.settings.maxConnections) {
        this.settings.logger.warning(
          `connection ${this.peer}: refused, ${admitted} connections are open (--max-connections ${this.settings.maxConnections})`,
        );
        this.fail(notAllowed(`connection refused: node connection limit (${this.settings.maxConnections}) is reached`), Method.ConnectionStartOk);
        return true;
      }
      this.acceptLogin(credentials!.user);
      return true;
    });
  }

  /** Why a login is refused (for the log, as RabbitMQ words it), or undefined when it is accepted. */
  private checkLogin(credentials: { user: string; password: string } | undefined): string | undefined {
    if (credentials === undefined) return 'malformed credentials';
    const user = `user '${logText(credentials.user)}'`;
    if (this.settings.users.get(credentials.user) !== credentials.password) return `${user} - invalid credentials`;
    if (this.settings.loopbackUsers.has(credentials.user) && !isLoopbackAddress(this.socket.remoteAddress)) {
      return `${user} can only connect via localhost`;
    }
    return undefined;
  }

  private acceptLogin(user: string): void {
    this.user = user;
    this.admitted = true;
    this.state = 'tune';
    this.send(
      encodeMethod(Method.ConnectionTune, 0, {
        channelMax: this.settings.channelMax,
        frameMax: this.settings.frameMax,
        heartbeat: this.settings.heartbeat,
      }),
    );
  }

  /**
   * RabbitMQ's tune-ok checks (rabbit_reader's validate_negotiated_integer_value): frame_max below 4096, or either
   * value above what the broker proposed (0 means no limit, so it is above any limit), is refused.
   */
  private negotiationFailure(frameMax: number, channelMax: number): string | undefined {
    const check = (field: string, value: number, min: number, max: number) => {
      if (value !== 0 && value < min) return `negotiated ${field} = ${value} is lower than the minimum allowed value (${min})`;
      if (max !== 0 && (value === 0 || value > max)) {
        return `negotiated ${field} = ${value}${field === 'channel_max' && value === 0 ? ' (no limit)' : ''} is higher than the maximum allowed value (${max})`;
      }
      return undefined;
    };
    return check('frame_max', frameMax, FRAME_MIN_SIZE, this.settings.frameMax) ?? check('channel_max', channelMax, 1, this.settings.channelMax);
  }

  /**
   * A tune-ok RabbitMQ refuses: like RabbitMQ, log why, then close the socket without a word after a pause
   * (SILENT_CLOSE_DELAY), since the client has not agreed on frames the broker could answer in.
   */
  private refuseTune(reason: string): void {
    this.settings.logger.error(`connection ${this.peer}: failed to negotiate connection parameters: ${reason}`);
    this.state = 'closing';
    this.pauseInput();
    this.closeTimer = this.settings.clock.setTimeout(() => this.destroy(), SILENT_CLOSE_DELAY_MS).unref();
  }

  // ---- errors and closing -----------------------------------------------------------------------------------

  private guard(run: () => void, methodId: number): void {
    try {
      run();
    } catch (err) {
      this.fail(toAmqpException(err), methodId);
    }
  }

  /** A handler threw: soft errors close its channel, hard ones (and broker bugs) the connection. */
  private raise(err: unknown, channel: Channel, methodId: number): void {
    const error = toAmqpException(err);
    if (!(err instanceof AmqpException))
      this.settings.logger.error(`connection ${this.peer}: ${logText(error.message)}\n${(err as Error).stack ?? ''}`);
    else if (error.replyCode === ReplyCode.INTERNAL_ERROR) this.settings.logger.warning(`connection ${this.peer}: ${logText(error.message)}`);
    if (error.isConnectionError) this.fail(error, methodId);
    else channel.fail(error, methodId);
  }

  /** Close the connection from the broker side with `error`, then wait (briefly) for the client's close-ok. */
  private fail(error: AmqpException, methodId: number): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.settings.logger.info(`connection ${this.peer}: closing with ${error.replyCode} ${logText(error.replyText)}`);
    this.send(
      encodeMethod(Method.ConnectionClose, 0, {
        replyCode: error.replyCode,
        replyText: error.replyText,
        classId: methodId >>> 16,
        methodId: methodId & 0xffff,
      }),
    );
    this.state = 'closing';
    this.releaseAll();
    this.closeTimer = this.settings.clock.setTimeout(() => this.destroy(), CLOSE_OK_TIMEOUT_MS).unref();
  }

  private closeByClient(): void {
    this.releaseAll();
    this.send(encodeMethod(Method.ConnectionCloseOk, 0, {}));
    this.flush();
    this.state = 'closed';
    this.socket.end();
  }

  private destroy(): void {
    this.flush();
    this.state = 'closed';
    this.socket.end();
    this.settings.clock.setTimeout(() => this.socket.destroy(), CLOSE_OK_TIMEOUT_MS).unref();
  }

  private onSocketClose(): void {
    this.state = 'closed';
    this.releaseAll();
    this.closeTimer?.cancel();
    this.cancelHandshakeTimer();
    this.withdrawLogin?.();
    this.stopWatchingAlarm();
    this.held = undefined;
    this.dropOutput();
    this.onClosed(this);
  }

  private cancelHandshakeTimer(): void {
    this.handshakeTimer?.cancel();
    this.handshakeTimer = undefined;
  }

  /** Give back everything the connection holds: channels (unacked messages requeue), then its exclusive queues. */
  private releaseAll(): void {
    this.heartbeatTimer?.cancel();
    this.heartbeatTimer = undefined;
    const channels = [...this.channels.values()];
    this.channels.clear();
    for (const channel of channels) channel.release();
    this.vhost?.deleteOwnedQueues(this);
  }

  // ---- output and heartbeats --------------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flushTick);
  }

  private readonly flushTick = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    const confirms = this.confirmChannels;
    for (let i = 0; i < confirms.length; i++) confirms[i]!.flushConfirms();
    confirms.length = 0;
    if (this.out.length === 0) return;
    if (this.socket.destroyed || !this.socket.writable) return this.dropOutput();
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    this.sentSinceTick = true;
    const memory = this.settings.memory;
    // The bytes count against the watermark until the kernel has them (the callback also runs if the socket dies).
    const below = this.socket.write(data, () => memory.remove(data.length));
    // No 'drain' follows a write the socket took whole: what waited for room can go on now.
    if (below && this.throttled) setImmediate(() => this.onDrain());
  }

  /** Output that will never be written (the socket is gone) stops counting. */
  private dropOutput(): void {
    this.settings.memory.remove(this.outBytes);
    this.out = [];
    this.outBytes = 0;
  }

  /** The socket took its output: consumers that waited for room go on, and input paused for output is read again. */
  private onDrain(): void {
    if (!this.throttled || this.state === 'closed') return;
    if (this.outputCongested()) return;
    this.throttled = false;
    for (const channel of this.channels.values()) channel.resumeConsumers();
    this.resumeInput();
  }

  // ---- the memory alarm -------------------------------------------------------------------------------------

  /** A basic.publish: this connection is a publisher, and while the alarm is on, its input stops after this frame. */
  private onPublish(): void {
    this.published = true;
    if (!this.settings.memory.alarm || this.blockedByAlarm) return;
    this.blockedByAlarm = true;
    this.tellBlocked();
  }

  private onAlarm(alarm: boolean): void {
    if (this.state !== 'running') return;
    if (alarm) {
      // RabbitMQ tells publishing connections at once; their input stops at their next publish.
      if (this.published) this.tellBlocked();
      return;
    }
    this.blockedByAlarm = false;
    if (this.toldBlocked) {
      this.toldBlocked = false;
      this.send(encodeMethod(Method.ConnectionUnblocked, 0, {}));
    }
    this.resumeInput();
  }

  private tellBlocked(): void {
    if (this.toldBlocked || !this.blockedNotify) return;
    this.toldBlocked = true;
    this.send(encodeMethod(Method.ConnectionBlocked, 0, { reason: 'low on memory' }));
  }

  /**
   * Heartbeats as negotiated in tune-ok (seconds; 0 turns them off): send one when nothing else went out for
   * half the interval; drop a client that sent nothing for two intervals.
   */
  private startHeartbeat(seconds: number): void {
    if (seconds <= 0) return;
    this.heartbeatTimer = this.settings.clock
      .setInterval(
        () => {
          if (!this.sentSinceTick) {
            this.socket.write(HEARTBEAT_FRAME);
          }
          this.sentSinceTick = false;
          // A client whose input the broker does not read cannot be heard (RabbitMQ pauses its heartbeat monitor too).
          if (this.receivedSinceTick || this.readPaused) {
            this.silentTicks = 0;
          } else if (++this.silentTicks >= 4) {
            this.settings.logger.warning(`connection ${this.peer}: missed heartbeats from client, timeout: ${seconds}s`);
            this.socket.destroy();
          }
          this.receivedSinceTick = false;
        },
        (seconds * 1000) / 2,
      )
      .unref();
  }
}

/** User and password from a start-ok response: PLAIN (`\0user\0password`) or AMQPLAIN (a field table). */
export function readCredentials(mechanism: string, response: Buffer): { user: string; password: string } | undefined {
  if (mechanism === 'PLAIN') {
    const parts = response.toString('utf8').split('\u0000');
    if (parts.length !== 3) return undefined;
    return { user: parts[1]!, password: parts[2]! };
  }
  if (mechanism === 'AMQPLAIN') {
    try {
      const table = decodeTable(response);
      const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : undefined);
      const user = text(table['LOGIN']);
      const password = text(table['PASSWORD']);
      return user === undefined || password === undefined ? undefined : { user, password };
    } catch {
      return undefined;
    }
  }
  throw commandInvalid(`unknown authentication mechanism '${mechanism}'`);
}
