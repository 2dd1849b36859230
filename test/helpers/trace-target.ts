/**
 * A broker with RabbitMQ's firehose (`amq.rabbitmq.trace`) to switch on and off, for the tap tests (docs/tap.md).
 * `rabbitmqTraceTarget` makes a vhost of the test file's own (tracing is switched per vhost, and CI runs on '/'),
 * deleted after the file; `rabbitmqctl trace_on/trace_off -p` switch it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { scratchRabbitmqVhost } from './brokers.js';

const run = promisify(execFile);

export interface TraceTarget {
  readonly name: string;
  readonly url: string;
  readonly vhost: string;
  traceOn(): Promise<void>;
  traceOff(): Promise<void>;
}

export async function rabbitmqTraceTarget(prefix: string): Promise<TraceTarget> {
  const { vhost, url } = await scratchRabbitmqVhost(prefix);
  const trace = async (on: boolean) => void (await run('rabbitmqctl', ['-q', on ? 'trace_on' : 'trace_off', '-p', vhost], { timeout: 30_000 }));
  return { name: 'rabbitmq', url, vhost, traceOn: () => trace(true), traceOff: () => trace(false) };
}
