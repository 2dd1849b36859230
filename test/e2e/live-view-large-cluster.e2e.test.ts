/**
 * The real `camq` live view in tmux (160×50) with 200 simulated Celery workers (test/helpers/worker-sim.ts, held to
 * Celery's own tools in test/integration/demo/worker-simulator.int.test.ts): the workers pane's summary, the
 * offline ones first with one key, End reaching the last worker, PgDn showing each worker exactly once, grouping by
 * name prefix. scripts/live-view-1000-workers.mjs runs the same with 1,000. Run `npm run build` first.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RABBITMQ_URL, useRabbitmq } from '../helpers/brokers.js';
import { ROOT } from '../helpers/run-bin.js';
import { shellQuote, TmuxSession } from '../helpers/tmux.js';
import { startWorkerSim, type WorkerSim } from '../helpers/worker-sim.js';

const ok = await useRabbitmq('the large-cluster live view test is skipped');

/** The workers pane's rows on a screen: the node name of each, in order. */
function workerRows(screen: string): string[] {
  return [...screen.matchAll(/^[› ] (\S+@\S+)\s+(?:online|offline)\s/gm)].map((m) => m[1]!);
}

/** Where the workers pane is (`11–20 of 200`), from its title. */
function position(screen: string): string {
  return /\d+–\d+ of \d+/.exec(workersTitle(screen))?.[0] ?? '';
}

/**
 * Whether the workers pane shows a whole page: as many rows as its title's position says. A capture can catch the
 * terminal mid-frame (tmux reads the frame in pieces), the title new and rows below it not yet written.
 */
function isWholePage(screen: string): boolean {
  const m = /(\d+)–(\d+) of \d+/.exec(workersTitle(screen));
  return m !== null && workerRows(screen).length === Number(m[2]) - Number(m[1]) + 1;
}

/** The workers pane's title line. */
function workersTitle(screen: string): string {
  return screen.split('\n').find((l) => l.startsWith(' Workers ')) ?? '';
}

describe.skipIf(!ok)('the live view with 200 simulated workers', () => {
  const tag = randomBytes(3).toString('hex');
  let many: WorkerSim;
  let doomed: WorkerSim;
  let tmux: TmuxSession;

  beforeAll(async () => {
    tmux = new TmuxSession(`node ${shellQuote(`${ROOT}bin/camq`)} -b ${shellQuote(RABBITMQ_URL)}`, { width: 160, height: 50 });
    await tmux.waitFor(' Workers ');
    [many, doomed] = await Promise.all([
      startWorkerSim({ url: RABBITMQ_URL, workers: 196, eventsPerSecond: 150, tag: `${tag}a` }),
      startWorkerSim({ url: RABBITMQ_URL, workers: 4, tag: `${tag}b` }),
    ]);
    tmux.send('BTab'); // the keys to the workers pane (Shift-Tab: tasks → workers; Tab goes on to the queues)
    await tmux.waitFor(/⏎ their tasks/);
  }, 90_000);
  afterAll(async () => {
    tmux?.kill();
    await Promise.all([many?.stop(), doomed?.stop()]);
  });

  it('the summary counts them; four killed without a goodbye turn offline and one key puts them first', async () => {
    // Every online worker heartbeats every 2 s: the summary says they were all seen in the last 10 s.
    await tmux.waitFor(/ Workers\s+200 online · 0 offline · \d+ busy · all seen <10s/, 30_000);
    doomed.kill(0);
    const screen = await tmux.waitFor(/196 online · 4 offline/, 30_000);
    expect(workersTitle(screen)).toMatch(/ of 200/);
    tmux.send('o');
    const sorted = await tmux.waitFor(/· by state/);
    expect(workerRows(sorted).slice(0, 4).sort()).toEqual([...doomed.nodenames].sort());
    expect(sorted).toMatch(new RegExp(`${doomed.nodenames[0]!.replace(/[.]/g, '\\.')}\\s+offline`));
    for (let i = 0; i < 4; i++) tmux.send('o'); // back to by name
    await tmux.waitFor((s: string) => !workersTitle(s).includes('· by '));
  }, 60_000);

  it('End reaches the last worker; PgDn from the top shows each worker exactly once', async () => {
    const all = [...many.nodenames, ...doomed.nodenames].sort();
    tmux.send('G');
    const end = await tmux.waitFor((s: string) => /–200 of 200/.test(s) && isWholePage(s));
    expect(workerRows(end).at(-1)).toBe(all.at(-1));
    tmux.send('g');
    let screen = await tmux.waitFor((s: string) => / 1–\d+ of 200/.test(s) && isWholePage(s));
    const seen: string[] = [];
    for (let page = 0; page < 100; page++) {
      const at = position(screen);
      seen.push(...workerRows(screen));
      if (at.endsWith('–200 of 200')) break;
      tmux.send('NPage');
      screen = await tmux.waitFor((s: string) => position(s) !== at && isWholePage(s));
    }
    expect(seen).toEqual(all);
  }, 90_000);

  it('b groups by host, then by name prefix: closed groups show their counts, Enter opens one', async () => {
    tmux.send('b');
    await tmux.waitFor(/grouped by host/);
    tmux.send('b');
    const grouped = await tmux.waitFor(/grouped by prefix/);
    expect(grouped).toMatch(/▸ payments-\*\s+50 workers: 49 online · 1 offline · \d+ busy/);
    expect(grouped).toMatch(/▸ search-\*\s+50 workers: 49 online · 1 offline/);
    tmux.send('g');
    tmux.send('Enter');
    const open = await tmux.waitFor(/▾ emails-\*/);
    expect(workerRows(open).every((n) => n.startsWith('emails-'))).toBe(true);
    expect(workerRows(open).length).toBeGreaterThan(5);
  }, 60_000);
});
