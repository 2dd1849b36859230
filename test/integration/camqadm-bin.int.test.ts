/**
 * The real `camqadm` binary (dist/, so `npm run build` first) against each broker (RabbitMQ, and the embedded one as
 * `camq broker` in a process of its own): the docs' session piped as a script and one command per process, each
 * step's effect checked on the broker through an independent connection and the broker's inspector (raw broker
 * state on purpose); scripts that stop or keep going; exit codes; --json.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseBrokerUrl } from '../../src/transport/broker-url.js';
import { brokerTargets, describeBrokers } from '../helpers/brokers.js';
import { ROOT, runBin } from '../helpers/run-bin.js';
import { BrokerProbe } from './shell/broker-probe.js';
import { docsSession } from './shell/docs-session.js';

/** camqadm reading a script from a pipe we feed one line at a time, reading one --json line per command. */
class PipedShell {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  stderr = '';
  readonly exited: Promise<number>;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [`${ROOT}bin/camqadm`, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else {
        this.lines.push(line);
      }
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code ?? -1)));
  }

  /** Send one line and resolve with the JSON object printed for it. */
  async send(line: string): Promise<Record<string, unknown>> {
    this.child.stdin.write(line + '\n');
    const next = this.lines.shift() ?? (await new Promise<string>((resolve) => (this.waiting = resolve)));
    return JSON.parse(next) as Record<string, unknown>;
  }

  async end(): Promise<number> {
    this.child.stdin.end();
    return this.exited;
  }
}

describeBrokers('camqadm (the binary)', await brokerTargets({ embedded: 'child-process' }), (target) => {
  const BROKER = ['-b', target.url];
  const MASKED = parseBrokerUrl(target.url).masked;
  const VHOST = parseBrokerUrl(target.url).vhost;
  let probe: BrokerProbe;
  const queues: string[] = [];
  const exchanges: string[] = [];

  beforeAll(async () => {
    probe = await BrokerProbe.open(target);
  });
  afterAll(async () => {
    await probe.close();
  });
  afterEach(async () => {
    await probe.cleanup(queues.splice(0), exchanges.splice(0));
  });

  const session = () => {
    const docs = docsSession();
    queues.push(docs.queue);
    exchanges.push(docs.exchange);
    return docs;
  };

  it("runs the docs' session piped as a script, each line's effect on the broker checked before the next", async () => {
    const docs = session();
    const shell = new PipedShell([...BROKER, '--json']);
    for (const [i, step] of docs.steps.entries()) {
      const result = await shell.send(step.line);
      expect(result).toMatchObject({ n: i + 1, ok: true });
      await step.check(probe);
    }
    expect(await shell.end()).toBe(0);
    expect(shell.stderr).toBe(`-> connecting to ${MASKED}.\n-> connected.\n`);
  });

  it("prints the docs' session as the docs show it", async () => {
    const docs = session();
    const script = ["# the session from Celery's docs", '', ...docs.steps.map((s) => s.line)].join('\n') + '\n';
    const result = await runBin('camqadm', BROKER, { input: script });
    expect(result.stderr).toBe(`-> connecting to ${MASKED}.\n-> connected.\n`);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'ok.',
        `ok. queue:${docs.queue} messages:0 consumers:0.`,
        'ok.',
        'ok.',
        "{'body': 'This is a message',",
        " 'delivery_info': {'delivery_tag': 1,",
        `                   'exchange': '${docs.exchange}',`,
        "                   'message_count': 0,",
        "                   'redelivered': False,",
        `                   'routing_key': '${docs.key}'},`,
        " 'properties': {'headers': {}}}",
        'ok.',
        'ok. 0 messages deleted.',
        'ok.',
        '',
      ].join('\n'),
    );
    for (const step of docs.steps.slice(-2)) await step.check(probe);
  });

  it("runs the docs' session one command per process; basic.get's delivery goes back when its process ends", async () => {
    const docs = session();
    const words = (line: string) => line.match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));
    for (const step of docs.steps) {
      const result = await runBin('camqadm', [...BROKER, ...words(step.line)]);
      if (step.line === 'basic.ack 1') {
        // A delivery tag belongs to the channel that received it, and that process has ended.
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('Error: unknown delivery tag 1: this session holds no unacked message.');
        expect(result.stderr).toContain('went back to its queue when that process ended');
        expect(await probe.queue(docs.queue)).toEqual({ ready: 1, consumers: 0 });
        continue;
      }
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: `-> connecting to ${MASKED}.\n-> connected.\n` });
      if (step.line.startsWith('queue.delete')) {
        expect(result.stdout).toBe('ok. 1 message deleted.\n');
      } else if (step.line.startsWith('basic.get')) {
        expect(result.stdout).toContain(step.prints);
        // Unacked when the process ended, so it is back in the queue.
        await vi.waitFor(async () => expect(await probe.queue(docs.queue)).toEqual({ ready: 1, consumers: 0 }));
      } else {
        expect(result.stdout).toContain(step.prints);
        await step.check(probe);
      }
    }
    expect(await probe.queue(docs.queue)).toBeUndefined();
  });

  describe('scripts', () => {
    const failing = (q1: string, q2: string) =>
      [`queue.declare ${q1}`, `queue.declare camq-test-missing-${randomUUID().slice(0, 8)} yes`, `queue.declare ${q2}`].join('\n') + '\n';

    it('stop at the first failed line with exit 1', async () => {
      const [q1, q2] = [`camq-test-${randomUUID()}`, `camq-test-${randomUUID()}`];
      queues.push(q1, q2);
      const result = await runBin('camqadm', BROKER, { input: failing(q1, q2) });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(`ok. queue:${q1} messages:0 consumers:0.\n`);
      expect(result.stderr).toMatch(/Error: 404 NOT_FOUND - no queue 'camq-test-missing-[0-9a-f]+' in vhost/);
      expect(await probe.queue(q1)).toBeDefined();
      expect(await probe.queue(q2)).toBeUndefined();
    });

    it('run every line with --keep-going, and still exit 1', async () => {
      const [q1, q2] = [`camq-test-${randomUUID()}`, `camq-test-${randomUUID()}`];
      queues.push(q1, q2);
      const result = await runBin('camqadm', [...BROKER, '--keep-going'], { input: failing(q1, q2) });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(`ok. queue:${q1} messages:0 consumers:0.\nok. queue:${q2} messages:0 consumers:0.\n`);
      expect(result.stderr).toContain('-> channel reopened.');
      expect(await probe.queue(q2)).toEqual({ ready: 0, consumers: 0 });
    });

    it('stop at a bad line before sending anything more', async () => {
      const q = `camq-test-${randomUUID()}`;
      queues.push(q);
      const result = await runBin('camqadm', BROKER, { input: `queue.bind onlyone\nqueue.declare ${q}\n` });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("Error: queue.bind takes 2 to 3 arguments, got 1; usage: queue.bind queue exchange routing_key:''");
      expect(await probe.queue(q)).toBeUndefined();
    });

    it('end at exit with 0', async () => {
      const result = await runBin('camqadm', BROKER, { input: 'help queue.purge\nexit\nqueue.bind never\n' });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        'usage: queue.purge queue\nremove every ready message from a queue\n\n  queue  the queue\n\nMessages delivered but not yet acknowledged are not purged.\n',
      );
    });

    it('print one JSON object per command with --json, errors included', async () => {
      const q = `camq-test-${randomUUID()}`;
      queues.push(q);
      const result = await runBin('camqadm', [...BROKER, '--json', '--keep-going'], {
        input: `queue.declare ${q}\nbasic.publish hello '' ${q} priority=3\nbasic.get ${q} yes\nqueue.declare ${q}-missing yes\n`,
      });
      expect(result.code).toBe(1);
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(4);
      expect(lines[0]).toEqual({
        n: 1,
        command: 'queue.declare',
        args: { queue: q, passive: false, durable: false, exclusive: false, auto_delete: false },
        ok: true,
        result: { kind: 'queue-declared', queue: q, message_count: 0, consumer_count: 0 },
      });
      expect(lines[1]).toMatchObject({ n: 2, properties: { priority: 3 }, ok: true, result: { kind: 'ok' } });
      expect(lines[2]).toMatchObject({
        n: 3,
        result: { kind: 'message', message: { body: 'hello', delivery_info: { delivery_tag: 1, routing_key: q }, properties: { priority: 3 } } },
      });
      expect(lines[3]).toMatchObject({
        n: 4,
        ok: false,
        error: { code: 'broker.not-found', reply_code: 404, message: `404 NOT_FOUND - no queue '${q}-missing' in vhost '${VHOST}'` },
        channel_reopened: { requeued: [] },
      });
      expect(result.stderr).toBe(`-> connecting to ${MASKED}.\n-> connected.\n`);
    });

    it('refuse a name over 255 bytes with one line and answer every later command (issue 9 item 12)', async () => {
      const q = `camq-test-${randomUUID()}`;
      queues.push(q);
      const long = 'é'.repeat(128); // 256 bytes
      const result = await runBin('camqadm', [...BROKER, '--keep-going'], {
        input: `queue.declare ${long}\nqueue.bind ${q} amq.direct ${long}\nqueue.declare ${q}\nbasic.publish hi '' ${q}\nbasic.get ${q} yes\n`,
        timeoutMs: 20_000,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `-> connecting to ${MASKED}.\n-> connected.\n` +
          'Error: queue.declare: queue is 256 bytes in UTF-8 (128 characters); AMQP allows at most 255 bytes there, so nothing was sent\n' +
          'Error: queue.bind: routing_key is 256 bytes in UTF-8 (128 characters); AMQP allows at most 255 bytes there, so nothing was sent\n',
      );
      expect(result.stdout).toContain(`ok. queue:${q} messages:0 consumers:0.\n`);
      expect(result.stdout).toContain("'body': 'hi'");
    });
  });

  describe('exit codes', () => {
    it('purges a queue from argv, as in `camqadm queue.purge celery`', async () => {
      const q = `camq-test-${randomUUID()}`;
      queues.push(q);
      await runBin('camqadm', [...BROKER, 'queue.declare', q]);
      await probe.publish(q, 'one');
      await probe.publish(q, 'two');
      const result = await runBin('camqadm', [...BROKER, 'queue.purge', q]);
      expect(result).toMatchObject({ code: 0, stdout: 'ok. 2 messages deleted.\n' });
      expect(await probe.queue(q)).toEqual({ ready: 0, consumers: 0 });
    });

    it('exits 2 when the broker refuses the login, never printing the password', async () => {
      const url = parseBrokerUrl(target.url);
      const bad = `amqp://guest:wrong-password@${url.hostname}:${url.port}/${encodeURIComponent(url.vhost)}`;
      const result = await runBin('camqadm', ['-b', bad, 'queue.purge', 'celery']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^-> connecting to amqp:\/\/guest:\*\*@.*\nError: amqp:\/\/guest:\*\*@\S+ refused the login for user 'guest'/);
      expect(result.stderr).not.toContain('wrong-password');
    });

    it('is also `camq shell` and `camq adm`', async () => {
      const q = `camq-test-${randomUUID()}`;
      queues.push(q);
      expect(await runBin('camq', ['shell', ...BROKER, 'queue.declare', q])).toMatchObject({
        code: 0,
        stdout: `ok. queue:${q} messages:0 consumers:0.\n`,
      });
      expect(await runBin('camq', [...BROKER, 'adm', '--json', 'queue.delete', q])).toMatchObject({ code: 0 });
      expect(await probe.queue(q)).toBeUndefined();
    });
  });
});

describe('camqadm (the binary) without a broker', () => {
  it('exits 2 with one line naming the masked URL when the broker is unreachable', async () => {
    const result = await runBin('camqadm', ['-b', 'amqp://guest:secret@127.0.0.1:1//', 'queue.purge', 'celery']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      '-> connecting to amqp://guest:**@127.0.0.1:1//.\n' +
        'Error: cannot reach amqp://guest:**@127.0.0.1:1//: connection refused (ECONNREFUSED); is the broker running? Set -b/--broker or CAMQ_BROKER_URL\n',
    );
    expect(result.stdout).toBe('');
  });

  it('exits 1 on a usage error, and needs no broker for help or a mistyped command', async () => {
    const unreachable = ['-b', 'amqp://guest:guest@127.0.0.1:1//'];
    expect(await runBin('camqadm', [...unreachable, 'queue.delcare', 'x'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: "Error: unknown command 'queue.delcare'; did you mean 'queue.declare'? ('help' lists the commands)\n",
    });
    const help = await runBin('camqadm', [...unreachable, 'help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Commands\n--------\nexchange\.declare {2}exchange type:direct passive:no/);
  });
});
