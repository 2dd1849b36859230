/** A recording control client for driving `celeryctl` without a broker (captured streams: test/helpers/capture-io.ts). */
import { vi } from 'vitest';
import type { ControlClientLike } from '../../../src/cli/commands/ctl.js';
import type { CallOptions, TargetOptions } from '../../../src/control/control-client.js';
import type { ControlCommand } from '../../../src/control/control-command.js';
import { ReplyCollector } from '../../../src/control/reply-collector.js';
import type { CamqError } from '../../../src/errors/index.js';

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
      if (options.expected === 'receivers') {
        // The fake has no transport to count the mailboxes reached: as many as the replies it will give.
        collector.expectCount(replies.length);
      } else if (options.expected !== undefined) {
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
