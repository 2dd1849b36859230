/**
 * The real `camqadm` in a real terminal (tmux) against RabbitMQ, or `camq broker` where RabbitMQ does not answer: the counting prompt, Tab completion of a command
 * name and of a queue name seen in the session, Ctrl-C clearing the line, history recall with Up (and the history
 * file), Ctrl-D leaving with exit 0.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { e2eTarget } from '../helpers/brokers.js';
import { ROOT } from '../helpers/run-bin.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';
import { BrokerProbe } from '../integration/shell/broker-probe.js';
import { docsSession } from '../integration/shell/docs-session.js';

const target = await e2eTarget();

describe(`camqadm in a terminal (${target.name})`, () => {
  let home: string;
  let tmux: TmuxSession;
  let queue: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'camq-e2e-home-'));
    queue = `camq-test-e2e-${randomUUID().slice(0, 8)}`;
    tmux = new TmuxSession(`node bin/camqadm -b ${shellQuote(target.url)}`, {
      cwd: ROOT,
      env: { HOME: home, NO_COLOR: '1' },
      width: 120,
      height: 40,
    });
  });
  afterEach(async () => {
    tmux.kill();
    rmSync(home, { recursive: true, force: true });
    const probe = await BrokerProbe.open(target);
    await probe.cleanup([queue], []);
    await probe.close();
  });

  /** A prompt line, `3> ` and what is typed after it; capture-pane drops trailing spaces. */
  const promptLine = (n: number, typed = '') => new RegExp(`^${n}> ?${typed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\t]*$`, 'm');

  /** Press keys one batch at a time, as a person would (readline tells a second Tab from the first by order). */
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      tmux.send(key);
      await new Promise((r) => setTimeout(r, 150));
    }
  };

  it('counts commands in the prompt, completes names, recalls history and leaves on Ctrl-D', async () => {
    await tmux.waitFor(/^-> connected\.$/m);
    await tmux.waitFor(promptLine(1));

    tmux.type(`queue.declare ${queue}`);
    await tmux.waitFor(`ok. queue:${queue} messages:0 consumers:0.`);
    await tmux.waitFor(promptLine(2));

    // A command name from its prefix, then the queue declared above from its first letters.
    tmux.type('basic.g', false);
    await press('Tab');
    await tmux.waitFor(promptLine(2, 'basic.get'));
    tmux.type(queue.slice(0, 'camq-test-e2e'.length), false);
    await press('Tab');
    await tmux.waitFor(promptLine(2, `basic.get ${queue}`));
    tmux.send('Enter');
    await tmux.waitFor('No messages in queue. basic.publish something.');
    await tmux.waitFor(promptLine(3));

    // '_' reads as '.', and the part after the dot completes too: two candidates are listed on a second Tab.
    tmux.type('del', false);
    await press('Tab', 'Tab');
    await tmux.waitFor(/exchange\.delete +queue\.delete/);

    // Ctrl-C clears the line and the counter stays; a failed command still counts.
    await press('C-c');
    await tmux.waitFor(/^3> del\^C\n3>\s*$/m);
    tmux.type(`queue.declare camq-test-missing-${randomUUID().slice(0, 8)} yes`);
    await tmux.waitFor(/Error: 404 NOT_FOUND - no queue 'camq-test-missing-[0-9a-f]+'/);
    await tmux.waitFor('-> channel reopened.');
    await tmux.waitFor(promptLine(4));

    // Up, Up recalls the basic.get line typed two commands ago; it runs again.
    await press('Up', 'Up');
    await tmux.waitFor(promptLine(4, `basic.get ${queue}`));
    tmux.send('Enter');
    await tmux.waitFor(promptLine(5));

    await press('C-d');
    const screen = await tmux.waitFor('[exited 0]');
    expect(screen).toMatch(/^5>\s*\n\[exited 0\]$/m);

    const history = readFileSync(join(home, '.camq_history'), 'utf8').split('\n');
    expect(history).toEqual([
      `queue.declare ${queue}`,
      `basic.get ${queue}`,
      expect.stringMatching(/^queue\.declare camq-test-missing-[0-9a-f]+ yes$/),
      `basic.get ${queue}`,
      '',
    ]);
  });

  it("runs the docs' session typed at the prompt, each step's effect checked on the broker", async () => {
    const docs = docsSession();
    const probe = await BrokerProbe.open(target);
    try {
      await tmux.waitFor(promptLine(1));
      for (const [i, step] of docs.steps.entries()) {
        tmux.type(step.line);
        await tmux.waitFor(promptLine(i + 2));
        expect(tmux.capture()).toContain(step.prints);
        await step.check(probe);
      }
    } finally {
      await probe.cleanup([docs.queue], [docs.exchange]);
      await probe.close();
    }
  });

  it('recalls history saved by an earlier session', async () => {
    await tmux.waitFor(promptLine(1));
    tmux.type(`queue.declare ${queue}`);
    await tmux.waitFor(promptLine(2));
    tmux.type('exit');
    await tmux.waitFor('[exited 0]');
    tmux.kill();

    tmux = new TmuxSession(`node bin/camqadm -b ${shellQuote(target.url)}`, {
      cwd: ROOT,
      env: { HOME: home, NO_COLOR: '1' },
      width: 120,
      height: 40,
    });
    await tmux.waitFor(promptLine(1));
    await press('Up');
    await tmux.waitFor(promptLine(1, 'exit'));
    await press('Up');
    await tmux.waitFor(promptLine(1, `queue.declare ${queue}`));
    tmux.send('Enter');
    await tmux.waitFor(`ok. queue:${queue} messages:0 consumers:0.`);
    await tmux.waitFor(promptLine(2));
  });
});
