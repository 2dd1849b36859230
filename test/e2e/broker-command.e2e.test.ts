/**
 * The built `camq broker` binary as a user runs it: it prints its URL, serves amqplib clients, and on SIGINT or
 * SIGTERM closes every connection (320 CONNECTION_FORCED) and exits 0.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import amqp from 'amqplib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../helpers/run-bin.js';

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  output(): string;
  exited: Promise<number | null>;
}

let running: Running | undefined;

async function startBrokerBin(): Promise<Running> {
  const child = spawn(process.execPath, [`${ROOT}bin/camq`, 'broker', '--port', '0'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await vi.waitFor(() => expect(output).toMatch(/listening on/), { timeout: 15_000 });
  const port = Number(/127\.0\.0\.1:(\d+)\/\//.exec(output)![1]);
  return { child, port, output: () => output, exited };
}

afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
});

describe('camq broker (binary)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('serves clients and shuts down cleanly on %s', async (signal) => {
    running = await startBrokerBin();
    expect(running.output()).toBe(`camq broker listening on amqp://guest:**@127.0.0.1:${running.port}// (in memory; Ctrl-C to stop)\n`);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${running.port}`);
    const closed = new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    conn.on('error', () => {});
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(queue, Buffer.from('hello'));
    expect(((await ch.get(queue, { noAck: true })) as amqp.GetMessage).content.toString()).toBe('hello');

    running.child.kill(signal);
    expect(await running.exited).toBe(0);
    expect((await closed)?.message).toContain(
      '320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - broker forced connection closure with reason \'shutdown\'"',
    );
    expect(running.output()).toContain('camq broker stopped');
  });
});
