/**
 * The amqplib side of the transport seam: what engines get from an AmqpChannel instead of amqplib's own shapes. A
 * channel error, a failed nowait send and a nacked confirm arrive as CamqErrors, so no engine translates amqplib's
 * errors. The stand-in below has amqplib's channel surface for the calls used (an EventEmitter, as amqplib's is);
 * test/integration/shell-session.int.test.ts and the control tests run the real one against RabbitMQ.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { Channel, ConfirmChannel } from '../../../src/amqp/index.js';
import { AmqpChannel } from '../../../src/amqp/amqp-channel.js';
import { BrokerConnectionError, BrokerError, CamqError } from '../../../src/errors/index.js';
import { parseBrokerUrl } from '../../../src/transport/broker-url.js';

const url = parseBrokerUrl('amqp://guest:secret@rabbit:5672//');

/** amqplib's error for a channel the server closed (lib/channel.js). */
function serverClose(code: number, text: string): Error {
  return Object.assign(new Error(`Channel closed by server: ${code} (X) with message "${text}"`), { code, classId: 50, methodId: 10 });
}

class RawChannel extends EventEmitter {
  confirmCallback: ((err: unknown) => void) | undefined;
  // amqplib's BaseChannel internals the nowait helpers use (amqplib-internals.ts); a closed channel refuses sends.
  sendImmediately(): void {
    throw Object.assign(new Error('Channel closed'), { name: 'IllegalOperationError' });
  }
  registerConsumer(): void {}
  sendOrEnqueue(): void {}
  sendMessage(): void {}
  publish(_exchange: string, _key: string, _content: Buffer, _options: unknown, callback?: (err: unknown) => void): boolean {
    this.confirmCallback = callback;
    return true;
  }
}

describe('AmqpChannel', () => {
  it("hands an 'error' listener a BrokerError, and off() removes that listener", () => {
    const raw = new RawChannel();
    const channel = new AmqpChannel(raw as unknown as Channel, { url });
    const listener = vi.fn();
    channel.on('error', listener);
    raw.emit('error', serverClose(404, "NOT_FOUND - no queue 'q'"));
    expect(listener).toHaveBeenCalledTimes(1);
    const error = listener.mock.calls[0]![0] as BrokerError;
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ replyCode: 404, replyText: "NOT_FOUND - no queue 'q'", isChannelError: true });
    channel.off('error', listener);
    expect(raw.listenerCount('error')).toBe(0);
  });

  it('passes other events through as they are', () => {
    const raw = new RawChannel();
    const channel = new AmqpChannel(raw as unknown as Channel, { url });
    const onClose = vi.fn();
    channel.once('close', onClose);
    raw.emit('close');
    raw.emit('close');
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('a nowait send on a closed channel throws a CamqError naming the broker, not amqplib`s error', () => {
    const channel = new AmqpChannel(new RawChannel() as unknown as Channel, { url });
    let thrown: unknown;
    try {
      channel.bindQueueNowait('q', 'ex', 'key');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BrokerConnectionError);
    expect((thrown as CamqError).code).toBe('broker.lost');
    expect((thrown as CamqError).message).not.toContain('secret');
  });

  it('a confirm: null when the broker has it, broker.nacked on a basic.nack, a CamqError when the channel went first', () => {
    const raw = new RawChannel();
    const channel = new AmqpChannel(raw as unknown as ConfirmChannel, { url, confirm: true });
    const outcomes: (CamqError | null)[] = [];
    const publish = () => channel.publish('', 'q', Buffer.from('x'), {}, (err) => outcomes.push(err));
    publish();
    raw.confirmCallback!(null);
    publish();
    raw.confirmCallback!(new Error('message nacked'));
    publish();
    raw.confirmCallback!(new Error('channel closed'));
    expect(outcomes[0]).toBeNull();
    expect(outcomes[1]).toMatchObject({ code: 'broker.nacked' });
    expect(outcomes[2]).toBeInstanceOf(CamqError);
    expect(outcomes[2]!.code).not.toBe('broker.nacked');
  });
});
