/**
 * celeryctl in a real terminal (tmux): colour and a progress spinner on a TTY, and `shutdown` asking before it stops a Python Celery worker.
 * On RabbitMQ, or `camq broker` where RabbitMQ does not answer.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { e2eTarget } from '../helpers/brokers.js';
import { usePythonCelery } from '../helpers/python-celery.js';
import { ROOT } from '../helpers/run-bin.js';
import { TmuxSession, shellQuote } from '../helpers/tmux.js';
import { ctlFixture, type NamedWorker } from '../integration/control/ctl-fixture.js';

const hasPython = await usePythonCelery('celeryctl in a terminal is skipped');
const targets = hasPython ? [await e2eTarget()] : [];

describe.each(targets)('celeryctl in a terminal ($name)', (target) => {
  const { startNamedWorker, stopNamedWorkers } = ctlFixture(target.url);
  let w: NamedWorker;
  const sessions: TmuxSession[] = [];

  const open = (args: string) => {
    const session = new TmuxSession(`node bin/celeryctl ${args} -b ${shellQuote(target.url)}`, { cwd: ROOT, width: 120 });
    sessions.push(session);
    return session;
  };

  beforeAll(async () => {
    w = await startNamedWorker('tty');
  });

  afterAll(async () => {
    for (const s of sessions) s.kill();
    await stopNamedWorkers([w]);
  });

  it('colours replies on a TTY', async () => {
    const s = open(`ping -d ${w.nodename}`);
    await s.waitFor('[exited 0]');
    expect(s.capture()).toContain(`-> ${w.nodename}: OK pong`);
    expect(s.captureAnsi()).toMatch(/\u001b\[[0-9;]*m/);
  });

  it('shows a spinner with the reply count while a broadcast waits, and leaves nothing of it behind', async () => {
    // --wait-all --expand: the whole 3 s, each reply printed as it comes (without them the broadcast returns once the
    // live worker answered, too soon to see the spinner, and prints the replies together at the end).
    const s = open('ping -t 3 --wait-all --expand');
    const during = await s.waitFor(/waiting up to 3 s for replies: [1-9]\d* so far/);
    expect(during).toContain(`-> ${w.nodename}: OK pong`);
    const after = await s.waitFor('[exited 0]');
    expect(after).toContain('1 node online.');
    expect(after).not.toContain('waiting up to');
  });

  it('shutdown asks first: no sends nothing, yes stops the worker', async () => {
    const no = open(`shutdown -d ${w.nodename}`);
    await no.waitFor(`Shut down 1 worker (${w.nodename})? [y/N]`);
    no.type('n');
    await no.waitFor('[exited 1]');
    expect(no.capture()).toContain('Error: shutdown cancelled; nothing was sent');
    expect(w.worker.process.exitCode).toBeNull();

    const yes = open(`shutdown -d ${w.nodename}`);
    await yes.waitFor(`Shut down 1 worker (${w.nodename})? [y/N]`);
    yes.type('y');
    await yes.waitFor('[exited 0]');
    expect(yes.capture()).toContain(`-> ${w.nodename}: OK shutdown requested`);
    await vi.waitFor(() => expect(w.worker.process.exitCode).not.toBeNull(), { timeout: 20_000, interval: 200 });
  });
});
