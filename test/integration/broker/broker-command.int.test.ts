/**
 * `camq broker` as a command: it starts the embedded broker with the users and vhosts asked for, prints its URL
 * with the password masked, and stops (closing its port) when told to.
 */
import { EventEmitter } from 'node:events';
import { connect as connectTcp, createServer } from 'node:net';
import amqp from 'amqplib';
import { describe, expect, it, vi } from 'vitest';
import { resolveBroker } from '../../../src/cli/broker-option.js';
import { createBrokerCommand } from '../../../src/cli/commands/broker.js';
import { captureIO } from '../../helpers/capture-io.js';

describe('camq broker', () => {
  it('serves the given user and vhosts, prints the masked URL, and stops when told', async () => {
    const { io, out: stdout, err: stderr } = captureIO();
    let stop!: () => void;
    const stopRequested = new Promise<void>((resolve) => (stop = resolve));
    const command = createBrokerCommand({ io, waitForStop: () => stopRequested }).exitOverride();
    const running = command.parseAsync(['--port', '0', '--json', '--user', 'ops', '--password', 's3cret', '--vhost', 'prod', '-l', 'info'], {
      from: 'user',
    });
    await vi.waitFor(() => expect(stdout()).toContain('\n'));
    const printed = JSON.parse(stdout()) as { url: string; host: string; port: number; vhosts: string[] };
    expect(printed).toEqual({ url: `amqp://ops:**@127.0.0.1:${printed.port}//`, host: '127.0.0.1', port: printed.port, vhosts: ['/', 'prod'] });

    const conn = await amqp.connect(`amqp://ops:s3cret@127.0.0.1:${printed.port}/prod`);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(queue, Buffer.from('hi'));
    expect(((await ch.get(queue, { noAck: true })) as amqp.GetMessage).content.toString()).toBe('hi');
    await conn.close();
    await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${printed.port}/`)).rejects.toThrow(/403/);
    await vi.waitFor(() => expect(stderr()).toMatch(/INFO\/MainProcess\] connection 127\.0\.0\.1:\d+: user 'ops' opened vhost 'prod'/));
    expect(stderr()).toMatch(/WARNING\/MainProcess\] connection 127\.0\.0\.1:\d+: PLAIN login refused: user 'guest' - invalid credentials/);

    stop();
    await running;
    await expect(amqp.connect(`amqp://ops:s3cret@127.0.0.1:${printed.port}/`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('--ipc answers the inspection requests of the Node process that forked it, and stops when that process goes', async () => {
    const { io, out: stdout } = captureIO();
    const sent: unknown[] = [];
    let disconnected = false;
    const parent = Object.assign(new EventEmitter(), {
      send: (message: unknown) => sent.push(message) > 0,
      disconnect: () => (disconnected = true),
    });
    const command = createBrokerCommand({ io, ipc: parent, waitForStop: () => new Promise<void>(() => {}) }).exitOverride();
    const running = command.parseAsync(['--port', '0', '--json', '--ipc'], { from: 'user' });
    await vi.waitFor(() => expect(stdout()).toContain('\n'));
    const { port } = JSON.parse(stdout()) as { port: number };

    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`, { clientProperties: { connection_name: 'camq test client' } });
    conn.on('error', () => {});
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    await (await conn.createChannel()).assertQueue('ipc-q', { durable: false });
    const ask = async (id: number, method: string, ...args: unknown[]) => {
      parent.emit('message', { id, method, args });
      await vi.waitFor(() => expect(sent.length).toBeGreaterThanOrEqual(id));
      return sent[id - 1];
    };
    expect(await ask(1, 'listQueues', '/')).toEqual({
      id: 1,
      result: [expect.objectContaining({ name: 'ipc-q', messages: 0, unacked: 0, consumers: 0 })],
    });
    expect(await ask(2, 'listBindings')).toEqual({ id: 2, result: [{ source: '', destination: 'ipc-q', routingKey: 'ipc-q', arguments: {} }] });
    expect(await ask(3, 'closeConnectionsNamed', 'camq test client', 'asked over IPC')).toEqual({ id: 3, result: 1 });
    expect((await closed)?.message).toContain('CONNECTION_FORCED - asked over IPC');
    expect(await ask(4, 'dropEverything')).toEqual({
      id: 4,
      error: expect.stringMatching(/^unknown inspection method 'dropEverything'; expected one of listQueues, /),
    });

    parent.emit('disconnect');
    await running;
    expect(disconnected).toBe(true);
    await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('--ipc without an IPC channel is a usage error, before anything listens', async () => {
    const { io } = captureIO();
    const noChannel = Object.assign(new EventEmitter(), { send: undefined });
    const command = createBrokerCommand({ io, ipc: noChannel }).exitOverride();
    await expect(command.parseAsync(['--port', '0', '--ipc'], { from: 'user' })).rejects.toThrow(
      "--ipc needs an IPC channel: start camq broker with Node's child_process.fork",
    );
  });

  it('--max-connections, --handshake-timeout and --memory-high-watermark take effect; a watermark below the process itself is refused', async () => {
    const { io, out: stdout } = captureIO();
    let stop!: () => void;
    const stopRequested = new Promise<void>((resolve) => (stop = resolve));
    const command = createBrokerCommand({ io, waitForStop: () => stopRequested }).exitOverride();
    const running = command.parseAsync(
      ['--port', '0', '--json', '--max-connections', '1', '--handshake-timeout', '0.2', '--memory-high-watermark', '0.4'],
      { from: 'user' },
    );
    await vi.waitFor(() => expect(stdout()).toContain('\n'));
    const { port } = JSON.parse(stdout()) as { port: number };
    const first = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}/`);
    await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${port}/`)).rejects.toThrow('node connection limit (1) is reached');
    const silent = connectTcp(port, '127.0.0.1');
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('close', resolve)); // dropped by the 0.2 s handshake timeout
    await first.close();
    stop();
    await running;

    for (const [flag, value, message] of [
      ['--memory-high-watermark', 'lots', 'expected a share of memory above 0 and at most 1 (0.4) or a size in bytes'],
      ['--memory-high-watermark', '1MiB', '--memory-high-watermark of 1 MiB leaves nothing for messages: camq broker itself uses'],
      ['--max-connections', '0', 'expected a whole number of at least 1'],
      ['--handshake-timeout', '-1', 'expected a number of seconds above 0'],
    ] as const) {
      const refused = createBrokerCommand({ io: captureIO().io, waitForStop: async () => {} })
        .exitOverride()
        .configureOutput({ writeErr: () => {} });
      await expect(refused.parseAsync(['--port', '0', flag, value], { from: 'user' })).rejects.toThrow(message);
    }
  });

  it('a taken port is one clear line', async () => {
    const { io } = captureIO();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const second = createBrokerCommand({ io, waitForStop: async () => {} }).exitOverride();
    await expect(second.parseAsync(['--port', String(port)], { from: 'user' })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use; pick another with --port`,
    );
    await new Promise((resolve) => blocker.close(resolve));
  });

  it.each(['embedded', 'memory://'])('--broker %s starts an embedded broker in the process, released after the command', async (flag) => {
    const { io } = captureIO();
    const broker = await resolveBroker(flag, io);
    expect(broker.isEmbedded).toBe(true);
    expect(broker.masked).toMatch(/^embedded \(amqp:\/\/guest:\*\*@127\.0\.0\.1:\d+\/\/\)$/);
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    const closed = new Promise((resolve) => conn.once('close', resolve));
    await (await conn.createChannel()).checkExchange('amq.topic');
    await broker.release();
    await closed;
    await expect(amqp.connect(broker.url)).rejects.toThrow(/ECONNREFUSED/);
  });
});
