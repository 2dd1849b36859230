/**
 * `npm start` as a newcomer sees it: `camq demo` in a real terminal (tmux), with nothing but Node. The embedded
 * broker, two worker processes and the traffic show up in the live view; `q` stops all of it, saying what it stops,
 * and gives the terminal back. Run `npm run build` first: bins run dist/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-bin.js';
import { TmuxSession } from '../helpers/tmux.js';

describe('camq demo in a terminal', () => {
  let tmux: TmuxSession | undefined;
  afterEach(() => tmux?.kill());

  it('shows two workers online and tasks of every outcome, and q stops everything', async () => {
    // CI=true as CI machines set it: Ink would hold every frame until exit there; the view must render anyway.
    tmux = new TmuxSession(`node ${ROOT}bin/camq demo --port 0 --rate 6`, { width: 120, height: 40, cwd: ROOT, env: { CI: 'true' } });
    await tmux.waitFor('2/2 workers up', 30_000);
    const screen = await tmux.waitFor(/SUCCESS[\s\S]*FAILURE|FAILURE[\s\S]*SUCCESS/, 30_000);
    expect(screen).toMatch(/demo1@\S+\s+online/);
    expect(screen).toMatch(/demo2@\S+\s+online/);
    expect(screen).toMatch(/amqp:\/\/guest:\*\*@127\.0\.0\.1:\d+\/\//);
    expect(screen).not.toContain('guest:guest');
    await tmux.waitFor(/RETRY|RECEIVED/, 30_000);

    tmux.send('q');
    const after = await tmux.waitFor(/\[exited 0\]/, 30_000);
    // The seconds a stop takes are not a silent screen: each step says what it waits for.
    expect(after).toMatch(/-> stopping 2 demo worker\(s\)[\s\S]*-> removing the demo queue camq-demo…[\s\S]*-> demo stopped\s/);
    expect(after).not.toContain('worker logs are in');
    expect(after).not.toContain('workers up');
  });
});
