/**
 * `camq demo` end to end without a terminal: it starts the embedded broker (or uses -b), real worker processes and
 * the traffic generator, prints the events it sees, and stops everything after --duration. On RabbitMQ it must
 * leave nothing of itself on a broker that may be the user's own: no queue, no exchange, no message in `celery`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker } from '../../src/broker/embedded.js';
import { DemoCluster } from '../../src/demo/demo-cluster.js';
import { RABBITMQ_URL, rabbitmqTarget, useRabbitmq } from '../helpers/brokers.js';
import { ROOT, runBin } from '../helpers/run-bin.js';

/** A temporary directory of the run's own (TMPDIR for the demo), so the test sees what the demo left in it. */
let tmp: string | undefined;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});
function freshTmp(): string {
  tmp = mkdtempSync(join(tmpdir(), 'camq-demo-test-'));
  return tmp;
}

describe('camq demo (no terminal)', () => {
  it('runs two workers on the embedded broker and shows traffic of every kind, then stops cleanly and says how', async () => {
    const dir = freshTmp();
    const result = await runBin('camq', ['demo', '--port', '0', '--duration', '9', '--rate', '8'], { timeoutMs: 60_000, env: { TMPDIR: dir } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/camq demo on amqp:\/\/guest:\*\*@127\.0\.0\.1:\d+\/\/: no terminal for the live view/);
    // Its own broker: the plain names, as the README shows them.
    expect(result.stderr).toMatch(/^-> demo queue camq-demo; workers demo1@\S+, demo2@\S+$/m);
    expect(result.stdout).toMatch(/^demo1@\S+ \[.*\] started: active=0/m);
    expect(result.stdout).toMatch(/^demo2@\S+ \[.*\] started: active=0/m);
    expect(result.stdout).toMatch(/task succeeded: tasks\.add/);
    expect(result.stdout).toMatch(/task failed: tasks\.fail/);
    expect(result.stdout).toMatch(/task received: .* eta=\d{4}-/);
    // What the stop waits for, step by step, in that order.
    expect(result.stderr).toMatch(
      /-> stopping 2 demo worker\(s\)[^\n]*\n(.*\n)*-> removing the demo queue camq-demo…\n(.*\n)*-> stopping the embedded broker…\n-> demo stopped\n/,
    );
    // Both workers said goodbye: warm shutdown reached them before the broker stopped.
    expect(result.stdout.match(/\] shutdown: /g)?.length ?? 0).toBe(2);
    // The worker logs went with it: the temporary directory is as it was.
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('camq demo and camq queues', () => {
  it("serves the embedded broker's management API on the AMQP port + 10000, where camq queues finds it", async () => {
    const dir = freshTmp();
    // A port whose + 10000 is likely free too; if either is taken the demo moves to free ports and says so.
    const port = 21_000 + Math.floor(Math.random() * 4000);
    const demo = spawn(process.execPath, [`${ROOT}bin/camq`, 'demo', '--port', String(port), '--duration', '12', '--rate', '5'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', TMPDIR: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    demo.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    await vi.waitFor(() => expect(stderr).toMatch(/camq demo on amqp:/), { timeout: 30_000 });
    const actual = /camq demo on amqp:\/\/guest:\*\*@127\.0\.0\.1:(\d+)\/\//.exec(stderr)![1]!;
    const api = /-> management API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
    if (actual === String(port)) expect(api).toBe(`http://127.0.0.1:${port + 10_000}`);
    const url = `amqp://guest:guest@127.0.0.1:${actual}//`;
    const listed = await vi.waitFor(
      async () => {
        // Found from the URL alone when the demo got its ports; named with --api when it had to move.
        const res = await runBin('camq', ['queues', '-b', url, '--json', ...(actual === String(port) ? [] : ['--api', api])]);
        expect(res.code, res.stderr).toBe(0);
        const doc = JSON.parse(res.stdout) as { source: string; api: string; queues: { name: string; consumers: number }[] };
        expect(doc.queues.find((q) => q.name === 'camq-demo')?.consumers).toBe(2);
        return doc;
      },
      { timeout: 20_000, interval: 500 },
    );
    expect(listed).toMatchObject({ source: 'api', api });
    expect(await exited).toBe(0);
  });
});

const rabbit = await useRabbitmq('the demo on RabbitMQ is not checked');

describe.skipIf(!rabbit)('camq demo -b <RabbitMQ>', () => {
  it('sends its traffic to a queue of its own and leaves nothing behind: no queue, no exchange, no message in celery', async () => {
    const { inspector } = rabbitmqTarget();
    const celeryBefore = (await inspector.listQueues()).find((q) => q.name === 'celery');
    const dir = freshTmp();
    const result = await runBin('camq', ['-b', RABBITMQ_URL, 'demo', '--duration', '8', '--rate', '10'], { timeoutMs: 60_000, env: { TMPDIR: dir } });
    expect(result.code, result.stderr).toBe(0);
    // Tasks with an ETA past the end were among the traffic (countdowns run 5–20 s): they must not outlive the demo.
    expect(result.stdout).toMatch(/task received: tasks\.add.* eta=\d{4}-/);
    // A broker others may use: names with this run's id.
    const [, id] = /^-> demo queue camq-demo-([0-9a-f]{6}); workers demo1-\1@\S+, demo2-\1@\S+$/m.exec(result.stderr) ?? [];
    expect(id, result.stderr).toBeDefined();
    expect(result.stdout).toMatch(new RegExp(`^demo1-${id}@\\S+ \\[.*\\] started`, 'm'));
    expect(result.stderr).toContain(`-> removing the demo queue camq-demo-${id}…`);

    const [queues, exchanges] = await Promise.all([inspector.listQueues(), inspector.listExchanges()]);
    expect(queues.filter((q) => q.name.startsWith('camq-demo')).map((q) => q.name)).toEqual([]);
    expect(exchanges.filter((x) => x.name.startsWith('camq-demo')).map((x) => x.name)).toEqual([]);
    const celeryAfter = queues.find((q) => q.name === 'celery');
    expect(celeryAfter?.messages ?? 0).toBe(celeryBefore?.messages ?? 0);
    expect(celeryAfter?.unacked ?? 0).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('whose output reader goes away (camq demo -b … | head) still takes back its queue and workers before it ends', async () => {
    const { inspector } = rabbitmqTarget();
    const dir = freshTmp();
    const child = spawn(process.execPath, [join(ROOT, 'bin/camq'), '-b', RABBITMQ_URL, 'demo', '--rate', '10'], {
      env: { ...process.env, TMPDIR: dir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Read until both workers are up and tasks flow, then leave, as `| head -20` does. (A worker stopped while it
    // still starts exits with an error of its own, which would keep the logs: a different story.)
    await new Promise<void>((resolve) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (/^demo1-\S+ \[.*\] started/m.test(out) && /^demo2-\S+ \[.*\] started/m.test(out) && (out.match(/task received/g)?.length ?? 0) >= 3)
          resolve();
      });
    });
    child.stdout.destroy();
    expect(await exited, stderr).toBe(141);
    expect(stderr).toMatch(/-> removing the demo queue camq-demo-[0-9a-f]{6}…/);
    const [queues, exchanges] = await Promise.all([inspector.listQueues(), inspector.listExchanges()]);
    expect(queues.filter((q) => q.name.startsWith('camq-demo')).map((q) => q.name)).toEqual([]);
    expect(exchanges.filter((x) => x.name.startsWith('camq-demo')).map((x) => x.name)).toEqual([]);
    expect(readdirSync(dir), stderr).toEqual([]);
  });
});

describe('DemoCluster', () => {
  it('keeps the worker logs, and says which worker ended how, when a worker did not end cleanly', async () => {
    const dir = freshTmp();
    const previous = process.env['TMPDIR'];
    process.env['TMPDIR'] = dir;
    const broker = await startEmbeddedBroker({ port: 0 });
    const progress: string[] = [];
    try {
      const cluster = new DemoCluster({ url: broker.url, workers: 2, rate: 5, onProgress: (line) => progress.push(line) });
      cluster.start();
      await vi.waitFor(() => expect(readFileSync(join(cluster.logDir, 'demo2.log'), 'utf8')).toMatch(/ready/), { timeout: 20_000, interval: 100 });
      process.kill(cluster.workerPids[1]!, 'SIGKILL');
      const report = await cluster.stop();
      expect(report.keptLogs).toEqual({ dir: cluster.logDir, reason: `${cluster.nodeName(2)} ended with SIGKILL` });
      expect(readdirSync(cluster.logDir).sort()).toEqual(['demo1.log', 'demo2.log']);
      // (Whether the killed one still counts as running depends on when its exit event comes.)
      expect(progress).toEqual([
        expect.stringMatching(/^stopping [12] demo worker\(s\) \(running tasks get 3 s\)…$/),
        `removing the demo queue ${cluster.queue.name}…`,
      ]);
    } finally {
      process.env['TMPDIR'] = previous;
      await broker.close();
    }
  });
});
