/**
 * One client connection: the protocol header, the handshake (start, PLAIN or AMQPLAIN login, tune, open), frame
 * parsing, the channel multiplexer, heartbeats in both directions, and closing from either side.
 *
 * Frames to the client are collected while a batch of input is handled and written once per tick (one buffer),
 * with the publisher confirms owed by each channel folded into one basic.ack. When the socket's write buffer is
 * full, deliveries to this connection pause until it drains.
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
import type { VirtualHost } from './vhost.js';
import { ReplyCode } from '../errors/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/** Frame size every peer must accept before tune (AMQP 0-9-1 frame-min-size). */
const FRAME_MIN_SIZE = 4096;
/** Bytes waiting in the socket before deliveries to it pause. */
const CONGESTED_BYTES = 4 * 1024 * 1024;
/** How long a closing connection waits for the client's close-ok. */
const CLOSE_OK_TIMEOUT_MS = 2000;

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
}

type State = 'header' | 'start' | 'tune' | 'open' | 'running' | 'closing' | 'closed';

export class Connection implements ChannelHost {
  readonly owner: object = this;
  vhost!: VirtualHost;
  frameMax = FRAME_MIN_SIZE;
  cancelNotify = false;
  congested = false;
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
  }

  send(frames: Buffer): void {
    if (this.state === 'closed') return;
    this.out.push(frames);
    this.outBytes += frames.length;
    this.scheduleFlush();
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
      this.settings.logger.error(`connection ${this.peer}: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      this.socket.destroy();
    }
  }

  private onData(chunk: Buffer): void {
    this.receivedSinceTick = true;
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
    }
    if (data.length > 0 && this.state !== 'closed') this.pending = data;
  }

  private onFrame(type: number, channelId: number, payload: Buffer): void {
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
      case 'tune':
        if (method.id !== Method.ConnectionTuneOk) throw commandInvalid(`expected connection.tune-ok, got ${methodName(method.id)}`);
        this.frameMax = method.fields.frameMax === 0 ? this.settings.frameMax : Math.min(method.fields.frameMax, this.settings.frameMax);
        this.channelMax = method.fields.channelMax === 0 ? this.settings.channelMax : Math.min(method.fields.channelMax, this.settings.channelMax);
        this.startHeartbeat(method.fields.heartbeat);
        this.state = 'open';
        return;
      case 'open': {
        if (method.id !== Method.ConnectionOpen) throw commandInvalid(`expected connection.open, got ${methodName(method.id)}`);
        const vhost = this.settings.vhosts.get(method.fields.virtualHost);
        if (vhost === undefined) throw notAllowed(`vhost ${method.fields.virtualHost} not found`);
        this.vhost = vhost;
        this.state = 'running';
        this.settings.logger.info(`connection ${this.peer}: user '${this.user}' opened vhost '${vhost.name}'`);
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
    const channel = this.channels.get(channelId);
    if (method.id === Method.ChannelOpen) {
      if (channel !== undefined) return this.fail(channelError("second 'channel.open' seen"), method.id);
      if (channelId > this.channelMax) return this.fail(notAllowed(`channel number ${channelId} is above the negotiated channel_max ${this.channelMax}`), method.id);
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
    if (channel === undefined || this.state !== 'running') return this.fail(unexpectedFrame('expected method frame, got non method frame instead'), 0);
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
    const id = payload.readUInt32BE(0);
    if (id === Method.ConnectionClose) this.send(encodeMethod(Method.ConnectionCloseOk, 0, {}));
    if (id === Method.ConnectionClose || id === Method.ConnectionCloseOk) this.destroy();
  }

  // ---- handshake --------------------------------------------------------------------------------------------

  private start(): void {
    this.state = 'start';
    this.send(encodeMethod(Method.ConnectionStart, 0, {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: this.settings.serverProperties,
      mechanisms: Buffer.from('PLAIN AMQPLAIN'),
      locales: Buffer.from('en_US'),
    }));
  }

  private login(fields: StartOkFields): void {
    const name = fields.clientProperties['connection_name'];
    this.clientName = typeof name === 'string' ? name : Buffer.isBuffer(name) ? name.toString('utf8') : undefined;
    const capabilities = fields.clientProperties['capabilities'];
    this.cancelNotify = typeof capabilities === 'object' && capabilities !== null &&
      (capabilities as FieldTable)['consumer_cancel_notify'] === true;
    const credentials = readCredentials(fields.mechanism, fields.response);
    if (credentials === undefined || this.settings.users.get(credentials.user) !== credentials.password) {
      this.settings.logger.warning(`connection ${this.peer}: login refused for user '${credentials?.user ?? '?'}' (${fields.mechanism})`);
      throw accessRefused(`Login was refused using authentication mechanism ${fields.mechanism}. For details see the broker logfile.`);
    }
    this.user = credentials.user;
    this.state = 'tune';
    this.send(encodeMethod(Method.ConnectionTune, 0, {
      channelMax: this.settings.channelMax,
      frameMax: this.settings.frameMax,
      heartbeat: this.settings.heartbeat,
    }));
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
    if (!(err instanceof AmqpException)) this.settings.logger.error(`connection ${this.peer}: ${error.message}\n${(err as Error).stack ?? ''}`);
    else if (error.replyCode === ReplyCode.INTERNAL_ERROR) this.settings.logger.warning(`connection ${this.peer}: ${error.message}`);
    if (error.isConnectionError) this.fail(error, methodId);
    else channel.fail(error, methodId);
  }

  /** Close the connection from the broker side with `error`, then wait (briefly) for the client's close-ok. */
  private fail(error: AmqpException, methodId: number): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.settings.logger.info(`connection ${this.peer}: closing with ${error.replyCode} ${error.replyText}`);
    this.send(encodeMethod(Method.ConnectionClose, 0, {
      replyCode: error.replyCode, replyText: error.replyText, classId: methodId >>> 16, methodId: methodId & 0xffff,
    }));
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
    this.onClosed(this);
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
    if (this.out.length === 0 || this.socket.destroyed || !this.socket.writable) {
      this.out = [];
      this.outBytes = 0;
      return;
    }
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    this.sentSinceTick = true;
    this.socket.write(data);
    if (this.socket.writableLength > CONGESTED_BYTES) this.congested = true;
  }

  private onDrain(): void {
    if (!this.congested) return;
    this.congested = false;
    for (const channel of this.channels.values()) channel.resumeConsumers();
  }

  /**
   * Heartbeats as negotiated in tune-ok (seconds; 0 turns them off): send one when nothing else went out for
   * half the interval; drop a client that sent nothing for two intervals.
   */
  private startHeartbeat(seconds: number): void {
    if (seconds <= 0) return;
    this.heartbeatTimer = this.settings.clock.setInterval(() => {
      if (!this.sentSinceTick) {
        this.socket.write(HEARTBEAT_FRAME);
      }
      this.sentSinceTick = false;
      if (this.receivedSinceTick) {
        this.silentTicks = 0;
      } else if (++this.silentTicks >= 4) {
        this.settings.logger.warning(`connection ${this.peer}: missed heartbeats from client, timeout: ${seconds}s`);
        this.socket.destroy();
      }
      this.receivedSinceTick = false;
    }, (seconds * 1000) / 2).unref();
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
