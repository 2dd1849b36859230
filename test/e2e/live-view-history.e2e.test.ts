/**
 * The live view's memory (issue 14, docs/live-view.md): restarted on the same journal it shows the history it had
 * ("history since …"), and a failures group retried from the failures screen runs again on a Python Celery worker
 * with the same arguments, while a task whose args Celery truncated is refused with the reason. A temporary
 * --journal and XDG_DATA_HOME: nothing is left in the user's data directory. Run `npm run build` first.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { e2eTarget } from '../helpers/brokers.js';
import { deleteQueues } from '../helpers/camq-worker.js';
import { recordedRuns, runPython, startPythonWorker, usePythonCelery, type PythonWorker } from '../helpers/python-celery.js';
import { ROOT } from '../helpers/run-bin.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';

const hasPython = await usePythonCelery('the live view history e2e test is skipped');
const targets = hasPython ? [await e2eTarget()] : [];

describe.each(targets)('the live view remembers, groups failures and retries them ($name)', ({ url: brokerUrl }) => {
  const nodename = `camq-hist-${randomUUID().slice(0, 8)}@test`;
  const queue = `camq-test-${randomUUID()}`;
  const tmp = mkdtempSync(join(tmpdir(), 'camq-e2e-history-'));
  const journal = join(tmp, 'journal');
  const recordFile = join(tmp, 'received.jsonl');
  const env = { NO_COLOR: '1', XDG_DATA_HOME: join(tmp, 'xdg') };
  let worker: PythonWorker | undefined;
  let tmux: TmuxSession | undefined;
  const view = () =>
    new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} -b ${shellQuote(brokerUrl)} --journal ${shellQuote(journal)}`, {
      width: 160,
      height: 40,
      env,
    });
  const recorded = () => recordedRuns(recordFile);

  beforeAll(async () => {
    worker = await startPythonWorker({
      brokerUrl,
      nodename,
      queues: queue,
      events: true,
      concurrency: 2,
      env: { CAMQ_TEST_RECORD_FILE: recordFile },
    });
  });

  afterAll(async () => {
    tmux?.kill();
    await worker?.stop();
    await deleteQueues(brokerUrl, [queue]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('restarted on the same --journal, the view shows the tasks it had: "history since …"', async () => {
    tmux = view();
    await tmux.waitFor('● connected');
    await tmux.waitFor(new RegExp(`${nodename.replace(/[.@]/g, '\\$&')}\\s+online`), 10_000);
    // task-sent events carry the queue the retry goes back to.
    await runPython(
      brokerUrl,
      [
        'from tasks import app, add, record_then_fail',
        'app.conf.task_send_sent_event = True',
        `q = ${JSON.stringify(queue)}`,
        'print(add.apply_async((20, 22), queue=q).get(timeout=20))',
        "record_then_fail.apply_async((1, 'x'), {'k': [2, 3]}, queue=q)",
        "record_then_fail.apply_async((2, 'y'), {'k': None}, queue=q)",
        "record_then_fail.apply_async(('z' * 2000,), queue=q)",
      ].join('\n'),
    );
    await vi.waitFor(() => expect(recorded()).toHaveLength(3), { timeout: 20_000 });
    await tmux.waitFor((s) => (s.match(/FAILURE\s+tasks\.record_then_fail/g) ?? []).length === 3);
    await tmux.waitFor(/SUCCESS\s+tasks\.add/);
    tmux.send('q');
    await tmux.waitFor('[exited 0]');
    tmux.kill();

    tmux = view();
    const screen = await tmux.waitFor(/history since \d\d:\d\d:\d\d, \d+ tasks/);
    expect(screen).toMatch(/SUCCESS\s+tasks\.add/);
    expect((screen.match(/FAILURE\s+tasks\.record_then_fail/g) ?? []).length).toBe(3);
    expect(screen).toMatch(/history since \d\d:\d\d:\d\d, 4 tasks/);
    // h: live only hides what the journal brought.
    tmux.send('h');
    const live = await tmux.waitFor('live only (h shows the history)');
    expect(live).not.toMatch(/SUCCESS\s+tasks\.add/);
    tmux.send('h');
    await tmux.waitFor(/history since/);
  });

  it('F groups the failures; R shows the dry run, refuses the truncated args with the reason, y sends the rest, which run with the same arguments', async () => {
    tmux!.send('F');
    let screen = await tmux!.waitFor(/3 RuntimeError\s+tasks\.record_then_fail/);
    expect(screen).toContain('example');
    expect(screen).toContain('first run fails');
    tmux!.send('R');
    screen = await tmux!.waitFor('dry run: 2 would be sent, 1 refused');
    // The reason is wrapped, never cut.
    expect(screen.replace(/\n\s+/g, ' ')).toMatch(
      /refuse \w{8} tasks\.record_then_fail: cannot retry tasks\.record_then_fail\[[\w-]+\] exactly: its args the repr was cut at \d+ characters \(senders cap it at 1024\)/,
    );
    expect(screen).toContain(`args=[1,"x"] kwargs={"k":[2,3]} → ${queue}`);
    tmux!.send('y');
    await tmux!.waitFor(/retried 2: \w{8} → \w{8}, \w{8} → \w{8}; 1 refused/, 20_000);
    await vi.waitFor(() => expect(recorded()).toHaveLength(5), { timeout: 20_000 });
    const [first, second, , ...retries] = recorded();
    const byOriginal = new Map(retries.map((r) => [r.retry_of, r]));
    for (const original of [first!, second!]) {
      const retry = byOriginal.get(original.id);
      expect(retry, `a retry of ${original.id}`).toBeDefined();
      expect([retry!.argsrepr, retry!.kwargsrepr]).toEqual([original.argsrepr, original.kwargsrepr]);
    }
    // The group's tasks say which were retried as what.
    tmux!.send('Enter');
    screen = await tmux!.waitFor(/retried as \w{8}/);
    expect((screen.match(/retried as \w{8}/g) ?? []).length).toBe(2);
    tmux!.send('q');
    await tmux!.waitFor('[exited 0]');
    expect(existsSync(join(tmp, 'xdg', 'camq'))).toBe(false);
  });
});
