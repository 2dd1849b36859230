import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { addQueueOperations, type QueueOperationsDeps } from '../../../src/cli/commands/queue-operations.js';
import { runCli } from '../../../src/cli/main.js';
import { captureIO } from '../../helpers/capture-io.js';

/** `camq queues …` with captured streams; every case here ends before connecting (the broker URL leads nowhere). */
async function queues(args: string[], deps: Partial<QueueOperationsDeps> & { stdinIsTTY?: boolean } = {}) {
  const cap = captureIO({ stdinIsTTY: deps.stdinIsTTY ?? false });
  const program = new Command('camq').addCommand(addQueueOperations(new Command('queues'), { io: cap.io, ...deps }));
  const code = await runCli(program, ['node', 'camq', 'queues', ...args, '-b', 'amqp://guest:guest@127.0.0.1:1//'], cap.io);
  return { code, out: cap.out(), err: cap.err() };
}

describe('camq queues: bad input is refused before connecting', () => {
  it.each([
    [['purge', 'q'], /purge removes messages from 'q': add --yes to confirm when stdin is not a terminal/],
    [['purge', 'q', '--task', 'tasks.add'], /add --yes to confirm when stdin is not a terminal/],
    [['purge', 'q', '--dry-run'], /--dry-run lists what a selective purge/],
    [['purge', 'q', '--save', 'f.jsonl', '--yes'], /--save keeps the messages of a selective purge/],
    [['purge', 'q', '--older-than', 'soon'], /expected a duration such as 90s, 15m, 1h or 2d/],
    [['peek', 'q', '-n', '0'], /expected a whole number >= 1/],
    [['move', 'q'], /missing required argument 'to'/],
    [['move', 'a', 'b', '--limit', 'x'], /expected a whole number >= 1/],
  ])('%j', async (args, message) => {
    const r = await queues(args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('asks on a terminal before a full purge, and takes nothing when the answer is no', async () => {
    const confirm = vi.fn(async () => false);
    const r = await queues(['purge', 'celery'], { stdinIsTTY: true, confirm });
    expect(confirm).toHaveBeenCalledWith("Remove every ready message from 'celery'? [y/N] ");
    expect(r.code).toBe(1);
    expect(r.err).toContain('purge cancelled; nothing was removed');
  });

  it('names the file a selective purge saves to when it asks', async () => {
    const confirm = vi.fn(async () => false);
    await queues(['purge', 'celery', '--task', 'tasks.add', '--save', 'out.jsonl'], { stdinIsTTY: true, confirm });
    expect(confirm).toHaveBeenCalledWith("Remove the matching messages from 'celery' (saved to out.jsonl)? [y/N] ");
  });
});
