/** A recording control client and captured streams for driving `celeryctl` without a broker. */
import { PassThrough, Writable } from 'node:stream';
import { vi } from 'vitest';
import type { ControlClientLike } from '../../../src/cli/commands/ctl.js';
import type { CliIO } from '../../../src/cli/cli-io.js';
import type { CallOptions, TargetOptions } from '../../../src/control/control-client.js';
import type { ControlCommand } from '../../../src/control/control-command.js';
import { ReplyCollector } from '../../../src/control/reply-collector.js';
import type { CamqError } from '../../../src/errors/index.js';

export interface CapturedIO {
  readonly io: CliIO;
  out(): string;
  err(): string;
}

export function captureIO(options: { stdinIsTTY?: boolean; stderrIsTTY?: boolean; env?: Record<string, string> } = {}): CapturedIO {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const stdin = Object.assign(new PassThrough(), { isTTY: options.stdinIsTTY ?? false });
  return {
    io: {
      stdout: sink((t) => (out += t)),
      stderr: Object.assign(
        sink((t) => (err += t)),
        { isTTY: options.stderrIsTTY ?? false },
      ),
      stdin,
      env: { NO_COLOR: '1', ...options.env },
    },
    out: () => out,
    err: () => err,
  };
}

/** Replies a fake worker set sends: [nodename, value] in arrival order (a name may repeat). */
export type FakeReplies = readonly (readonly [string, unknown])[];

export interface FakeClient extends ControlClientLike {
  readonly broadcasts: { command: ControlCommand; options: CallOptions }[];
  readonly casts: { command: ControlCommand; options: TargetOptions }[];
  closed: boolean;
}

/**
 * A client whose workers answer every broadcast with `replies` (only those matching a destination, if any). When
 * the call passes `expected`, the collector is told the list (or its failure) as the real client does.
 */
export function fakeClient(replies: FakeReplies): FakeClient {
  const client: FakeClient = {
    broadcasts: [],
    casts: [],
    closed: false,
    broadcast: (async (command: ControlCommand, options: CallOptions = {}) => {
      client.broadcasts.push({ command, options });
      const collector = new ReplyCollector({ method: command.method, ticket: 't', limit: options.limit, destination: options.destination });
      if (options.expected !== undefined) {
        try {
          collector.expect(typeof options.expected === 'function' ? await options.expected() : options.expected);
        } catch (err) {
          collector.expectFailed(err as CamqError);
        }
      }
      for (const [nodename, value] of replies) {
        if (options.destination && !options.destination.includes(nodename)) continue;
        const accepted = collector.offer({ nodename, value, ticket: 't', clock: 1 }, 2);
        if (accepted) options.onReply?.(accepted);
      }
      return collector.result(collector.isComplete ? 'limit' : collector.hasAllExpected ? 'expected' : 'timeout', 5);
    }) as ControlClientLike['broadcast'],
    cast: async (command, options = {}) => {
      client.casts.push({ command, options });
    },
    close: async () => {
      client.closed = true;
    },
  };
  return client;
}

export function recordingConnect(client: ControlClientLike) {
  return vi.fn(async (_url: string) => client);
}
