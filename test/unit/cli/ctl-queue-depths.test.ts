import { describe, expect, it, vi } from 'vitest';
import { createCeleryctlProgram, type CtlDeps } from '../../../src/cli/commands/ctl.js';
import { runCli } from '../../../src/cli/main.js';
import { queueDepths, type QueueDepth } from '../../../src/queues/queue-depths.js';
import { parseBrokerUrl } from '../../../src/transport/broker-url.js';
import { captureIO } from '../../helpers/capture-io.js';
import { fakeClient, recordingConnect, type FakeReplies } from './ctl-test-kit.js';

/** The part of a worker's active_queues entry the table reads (the rest of Celery's fields do not matter here). */
const QUEUE = (name: string) => ({ name, exchange: { name, type: 'direct' }, routing_key: name, durable: true });
const REPLIES: FakeReplies = [
  ['w1@vm', [QUEUE('celery'), QUEUE('emails')]],
  ['w2@vm', [QUEUE('celery')]],
];

async function celeryctl(args: string[], depths: Map<string, QueueDepth> | null) {
  const cap = captureIO();
  const lookUp = vi.fn(async () => depths);
  const deps: CtlDeps = { io: cap.io, connect: recordingConnect(fakeClient(REPLIES)), queueDepths: lookUp };
  const code = await runCli(createCeleryctlProgram(deps), ['node', 'celeryctl', ...args], cap.io);
  return { code, out: cap.out(), lookUp };
}

describe('celeryctl inspect active_queues with the queues’ depths', () => {
  it('adds ready, unacked and consumers per queue when the API answered; - for a queue it does not list', async () => {
    const depths = new Map<string, QueueDepth>([['celery', { ready: 1200, unacked: 8, consumers: 2 }]]);
    const { code, out, lookUp } = await celeryctl(['inspect', 'active-queues'], depths);
    expect(code).toBe(0);
    expect(lookUp).toHaveBeenCalledTimes(1);
    expect(out).toMatch(/│ queue\s+│ exchange\s+│ type\s+│ routing key\s+│ worker\s+│ ready │ unacked │ consumers │/);
    expect(out).toMatch(/│ celery\s+│ celery\s+│ direct │ celery\s+│ w1@vm\s+│ 1200\s+│ 8\s+│ 2\s+│/);
    expect(out).toMatch(/│ emails\s+│ emails\s+│ direct │ emails\s+│ w1@vm\s+│ -\s+│ -\s+│ -\s+│/);
    expect(out).toMatch(/│ celery\s+│ celery\s+│ direct │ celery\s+│ w2@vm\s+│ 1200\s+│/);
  });

  it('prints Celery’s table as before when no API answered, and --json’s replies stay Celery’s {"<node>": <reply>}, without asking', async () => {
    const none = await celeryctl(['inspect', 'active_queues'], null);
    expect(none.out).toMatch(/│ queue\s+│ exchange\s+│ type\s+│ routing key\s+│ worker\s+│\n/);
    expect(none.out).not.toContain('ready');
    const json = await celeryctl(['inspect', 'active_queues', '--json'], new Map());
    expect(json.lookUp).not.toHaveBeenCalled();
    expect((JSON.parse(json.out) as { replies: unknown }).replies).toEqual({
      'w1@vm': [QUEUE('celery'), QUEUE('emails')],
      'w2@vm': [QUEUE('celery')],
    });
    const other = await celeryctl(['inspect', 'active'], new Map());
    expect(other.lookUp).not.toHaveBeenCalled();
  });
});

describe('queueDepths', () => {
  const broker = parseBrokerUrl('amqp://guest:guest@127.0.0.1:5672/prod');
  const answer = (routes: Record<string, unknown>) =>
    vi.fn(async (input: string | URL | Request) => {
      const url = String(input);
      const key = Object.keys(routes).find((path) => url.includes(path));
      return key === undefined ? new Response('not found', { status: 404 }) : Response.json(routes[key]);
    }) as unknown as typeof fetch;

  it('reads the vhost’s queues from the API found for the broker', async () => {
    const fetch = answer({
      '/api/overview': { listeners: [{ protocol: 'amqp', port: 5672 }] },
      '/api/queues/prod': [{ name: 'celery', vhost: 'prod', messages_ready: 5, messages_unacknowledged: 1, consumers: 0 }],
    });
    expect(await queueDepths({ broker, fetch })).toEqual(new Map([['celery', { ready: 5, unacked: 1, consumers: 0 }]]));
  });

  it('is null, never an error, when the API is missing, refuses, or answers something else', async () => {
    const refused = vi.fn(async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    expect(await queueDepths({ broker, fetch: refused })).toBeNull();
    expect(await queueDepths({ broker, fetch: answer({ '/api/overview': { listeners: [{ protocol: 'amqp', port: 5673 }] } }) })).toBeNull();
    const html = answer({ '/api/overview': { listeners: [{ protocol: 'amqp', port: 5672 }] }, '/api/queues/prod': { error: 'x' } });
    expect(await queueDepths({ broker, fetch: html })).toBeNull();
  });
});
