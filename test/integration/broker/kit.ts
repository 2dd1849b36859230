/**
 * Shared tools of the broker conformance suites: one amqplib session per test against a BrokerTarget (RabbitMQ or
 * the embedded broker), unique names that are cleaned up afterwards, and the reply codes and texts of the errors a
 * broker raised, with the vhost name normalised so both brokers can be held to the same expected text.
 */
import { randomUUID } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import type { BrokerTarget } from '../../helpers/brokers.js';

/**
 * A session and a channel opened before each test of the enclosing describe block and closed after it; `use` gets
 * each test's pair (assign them to the block's variables).
 */
export function eachSession(target: BrokerTarget, use: (opened: { session: Session; ch: Channel }) => void): void {
  let session: Session | undefined;
  beforeEach(async () => {
    session = await Session.open(target);
    use({ session, ch: await session.channel() });
  });
  afterEach(() => session?.close());
}

export interface BrokerReply {
  readonly code: number | undefined;
  /** RabbitMQ's reply text, `in vhost 'V'` standing for the target's vhost. */
  readonly text: string;
}

export class Session {
  private readonly connections: ChannelModel[] = [];
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();

  private constructor(readonly target: BrokerTarget) {}

  static async open(target: BrokerTarget): Promise<Session> {
    const session = new Session(target);
    await session.connect();
    return session;
  }

  /** The first connection. */
  get conn(): ChannelModel {
    return this.connections[0]!;
  }

  /** Another connection to the same broker, closed with the session. */
  async connect(): Promise<ChannelModel> {
    const conn = await amqp.connect(this.target.url);
    conn.on('error', () => {});
    this.connections.push(conn);
    return conn;
  }

  async channel(conn = this.conn): Promise<Channel> {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    return ch;
  }

  async confirmChannel(conn = this.conn): Promise<ConfirmChannel> {
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => {});
    return ch;
  }

  /** A unique queue name, deleted when the session ends. */
  queue(label = 'q'): string {
    const name = `camq-test-${label}-${randomUUID()}`;
    this.queues.add(name);
    return name;
  }

  /** A unique exchange name, deleted when the session ends. */
  exchange(label = 'x'): string {
    const name = `camq-test-${label}-${randomUUID()}`;
    this.exchanges.add(name);
    return name;
  }

  /** Run `op` on a fresh channel and return the channel error it caused (the test fails if it succeeds). */
  async channelError(op: (ch: Channel) => Promise<unknown>, conn = this.conn): Promise<BrokerReply> {
    const ch = await this.channel(conn);
    const closed = new Promise<unknown>((resolve) => ch.once('close', resolve));
    try {
      await op(ch);
      // A publish fails asynchronously: a round trip makes the broker's channel.close arrive first.
      await ch.checkExchange('amq.direct');
    } catch (err) {
      await closed;
      return this.reply(err);
    }
    throw new Error('expected a channel error, but the operation succeeded');
  }

  /** Run `op` on a fresh connection and return the connection error it caused. */
  async connectionError(op: (ch: Channel, conn: ChannelModel) => Promise<unknown>): Promise<BrokerReply> {
    const conn = await amqp.connect(this.target.url);
    const closed = new Promise<unknown>((resolve) => conn.once('close', resolve));
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    try {
      await op(ch, conn);
      await ch.checkExchange('amq.direct');
    } catch {
      return this.reply(await closed);
    }
    await conn.close();
    throw new Error('expected a connection error, but the operation succeeded');
  }

  /** The reply code and normalised text of an amqplib error. */
  reply(err: unknown): BrokerReply {
    const message = err instanceof Error ? err.message : String(err);
    const text = /with message "(.*)"$/s.exec(message)?.[1] ?? message;
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'number' ? code : undefined, text: text.replaceAll(`in vhost '${this.target.vhost}'`, "in vhost 'V'") };
  }

  /**
   * A reply text as this target sends it: `in vhost 'V'` filled in, cut to 255 bytes with `...` as RabbitMQ cuts
   * long texts, then normalised again.
   */
  expectedText(text: string): string {
    const full = text.replaceAll("in vhost 'V'", `in vhost '${this.target.vhost}'`);
    const cut = full.length > 255 ? `${full.slice(0, 252)}...` : full;
    return cut.replaceAll(`in vhost '${this.target.vhost}'`, "in vhost 'V'");
  }

  /** Close the session's connections (their exclusive queues go), then delete the names it handed out. */
  async close(): Promise<void> {
    for (const c of this.connections) await c.close().catch(() => {});
    const cleanup = await amqp.connect(this.target.url);
    cleanup.on('error', () => {});
    const remove = async (op: (ch: Channel) => Promise<unknown>) => {
      const ch = await cleanup.createChannel();
      ch.on('error', () => {});
      await op(ch)
        .then(() => ch.close())
        .catch(() => {});
    };
    for (const name of this.queues) await remove((ch) => ch.deleteQueue(name));
    for (const name of this.exchanges) await remove((ch) => ch.deleteExchange(name));
    await cleanup.close();
  }
}

/** Take every ready message off a queue with basic.get (no ack), in order. */
export async function drain(ch: Channel, queue: string): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  for (;;) {
    const message = await ch.get(queue, { noAck: true });
    if (message === false) return messages;
    messages.push(message);
  }
}

/** Bodies of messages, as text. */
export function bodies(messages: readonly { content: Buffer }[]): string[] {
  return messages.map((m) => m.content.toString());
}

/** Wait until the broker has answered everything sent on `ch` so far (one synchronous round trip). */
export async function roundTrip(ch: Channel): Promise<void> {
  await ch.checkExchange('amq.direct');
}

interface AmqplibDefs {
  encodeMethod(id: number, channel: number, fields: object): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer;
  readonly [name: string]: unknown;
}

/**
 * amqplib's generated codec, for tests that must send frames amqplib's API never sends (a method on an unopened
 * channel, a content header out of place). Loaded by path: amqplib's exports map hides it.
 */
export const amqplibDefs: AmqplibDefs = (() => {
  const require = createRequire(import.meta.url);
  return require(path.join(path.dirname(require.resolve('amqplib')), 'lib/defs.js')) as AmqplibDefs;
})();

/** Write raw bytes on an amqplib connection's socket (see amqplibDefs). */
export function writeRaw(conn: ChannelModel, bytes: Buffer): void {
  (conn as unknown as { connection: { stream: { write(b: Buffer): void } } }).connection.stream.write(bytes);
}

interface AmqplibFrameCodec {
  parseFrame(buffer: Buffer, max: number): { type: number; channel: number; payload: Buffer; rest: Buffer } | false;
}

const amqplibFrame: AmqplibFrameCodec = (() => {
  const require = createRequire(import.meta.url);
  return require(path.join(path.dirname(require.resolve('amqplib')), 'lib/frame.js')) as AmqplibFrameCodec;
})();

/** A method frame a RawClient received: its id and decoded fields. */
export interface RawMethod {
  readonly channel: number;
  readonly id: number;
  readonly fields: Record<string, unknown>;
}

/**
 * A client on a bare socket, for what amqplib never does: stall mid-handshake, tune-ok with values it would not
 * pick, never read. It collects the method frames the broker sends (`methods`), and `closed` resolves when the
 * broker drops the socket.
 */
export class RawClient {
  readonly methods: RawMethod[] = [];
  readonly closed: Promise<void>;
  /** Bytes received, content frames included. */
  received = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private unparsable = false;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('error', () => {}); // brokers reset sockets they give up on
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        resolve();
        this.wake();
      }),
    );
  }

  static async connect(url: string, options: { readonly localAddress?: string } = {}): Promise<RawClient> {
    const { hostname, port } = new URL(url);
    const socket = connectTcp({ host: hostname, port: Number(port), ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  send(bytes: Buffer | string): boolean {
    return this.socket.write(bytes);
  }

  method(channel: number, id: number, fields: object): Buffer {
    return amqplibDefs.encodeMethod(id, channel, fields);
  }

  /** Resolve with the first received method `id` (waiting for it), or undefined if the socket closes first. */
  async waitFor(id: number): Promise<RawMethod | undefined> {
    for (;;) {
      const found = this.methods.find((m) => m.id === id);
      if (found !== undefined) return found;
      if (this.isClosed) return undefined;
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  /** Resolve once `count` methods `id` have arrived (or the socket closed). */
  async waitForCount(id: number, count: number): Promise<number> {
    for (;;) {
      const n = this.methods.filter((m) => m.id === id).length;
      if (n >= count || this.isClosed) return n;
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  /**
   * Protocol header, start-ok with `user`/`password` and `capabilities`; resolves with connection.tune (undefined
   * when the login was refused).
   */
  async login(user: string, password: string, capabilities: Record<string, boolean> = {}): Promise<RawMethod | undefined> {
    this.send('AMQP\x00\x00\x09\x01');
    await this.waitFor(amqplibDefs['ConnectionStart'] as number);
    this.send(
      this.method(0, amqplibDefs['ConnectionStartOk'] as number, {
        clientProperties: { capabilities },
        mechanism: 'PLAIN',
        response: Buffer.from(`\u0000${user}\u0000${password}`),
        locale: 'en_US',
      }),
    );
    return this.waitFor(amqplibDefs['ConnectionTune'] as number);
  }

  /** tune-ok with these values, then connection.open; resolves with open-ok (undefined when the broker refused). */
  async open(vhost: string, tune: { channelMax: number; frameMax: number; heartbeat?: number }): Promise<RawMethod | undefined> {
    this.send(this.method(0, amqplibDefs['ConnectionTuneOk'] as number, { heartbeat: 0, ...tune }));
    this.send(this.method(0, amqplibDefs['ConnectionOpen'] as number, { virtualHost: vhost, capabilities: '', insist: false }));
    return this.waitFor(amqplibDefs['ConnectionOpenOk'] as number);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.length;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (!this.unparsable) {
      let frame;
      try {
        frame = amqplibFrame.parseFrame(this.buffer, 1 << 30);
      } catch {
        // Not frames (a broker answering a bad protocol header with its own): keep the count of bytes only.
        this.unparsable = true;
        break;
      }
      if (frame === false) break;
      this.buffer = frame.rest;
      if (frame.type !== 1) continue;
      const id = frame.payload.readUInt32BE(0);
      const fields = (amqplibDefs as unknown as { decode(id: number, b: Buffer): Record<string, unknown> }).decode(id, frame.payload.subarray(4));
      this.methods.push({ channel: frame.channel, id, fields });
    }
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }
}
