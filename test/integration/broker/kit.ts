/**
 * Shared tools of the broker conformance suites: one amqplib session per test against a BrokerTarget (RabbitMQ or
 * the embedded broker), unique names that are cleaned up afterwards, and the reply codes and texts of the errors a
 * broker raised, with the vhost name normalised so both brokers can be held to the same expected text.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import type { BrokerTarget } from '../../helpers/brokers.js';

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
      await op(ch).then(() => ch.close()).catch(() => {});
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
