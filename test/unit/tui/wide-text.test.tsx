/**
 * CJK and emoji task names and args: two terminal cells a character (a combining mark none). The live view pre-pads
 * every cell to an exact width, so a width counted in UTF-16 units misaligns the columns after such a cell, and a
 * cut by units can split a surrogate pair or an emoji sequence.
 */
import stringWidth from 'string-width';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterStore } from '../../../src/events/cluster-store.js';
import { App } from '../../../src/tui/app.js';
import { cell, truncate, truncateMiddle, wrapLines, wrapWords } from '../../../src/tui/format.js';
import { ManualClock } from '../../../src/util/manual-clock.js';
import { taskEvent, taskReceived, workerEvent } from '../../fakes/event-script.js';
import { renderTui, stripAnsi, type RenderedTui } from '../../fakes/render-tui.js';

/** No lone surrogate and no cut inside a grapheme: every char of the result belongs to a whole grapheme of `source`. */
function wholeGraphemes(result: string, source: string): boolean {
  const parts = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(source)].map((s) => s.segment);
  const kept = result.replace(/…$/, '').replace(/ +$/, '');
  let rebuilt = '';
  for (const part of parts) {
    if (rebuilt === kept) break;
    rebuilt += part;
  }
  return rebuilt === kept || kept.split('…').every((side) => source.includes(side));
}

describe('cells of wide text', () => {
  const samples = ['報告書を作成する', 'タスク.送信', '👩‍👩‍👧‍👦 family', '🚀 deploy 🇯🇵', 'e\u0301te\u0301 café', 'tasks.add', '混合 mixed 文字'];

  it('cell() is exactly the width asked, in terminal cells, for every width', () => {
    for (const text of samples) {
      for (let width = 0; width <= 20; width++) {
        const out = cell(text, width);
        expect(stringWidth(out), `${JSON.stringify(text)} at ${width}: ${JSON.stringify(out)}`).toBe(width);
        expect(wholeGraphemes(out, text), `${JSON.stringify(out)} cuts a character of ${JSON.stringify(text)}`).toBe(true);
        expect(stringWidth(cell(text, width, true))).toBe(width);
      }
    }
  });

  it('truncate and truncateMiddle never exceed the width nor split a character', () => {
    for (const text of samples) {
      for (let width = 1; width <= 16; width++) {
        for (const out of [truncate(text, width), truncateMiddle(text, width)]) {
          expect(stringWidth(out)).toBeLessThanOrEqual(width);
          expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
        }
      }
    }
  });

  it('wrapLines and wrapWords keep each line within the width', () => {
    for (const text of samples) {
      for (const width of [2, 3, 5, 8]) {
        for (const line of [...wrapLines(text, width), ...wrapWords(text, width)]) expect(stringWidth(line)).toBeLessThanOrEqual(width);
        expect(wrapLines(text, width).join('')).toBe(text);
      }
    }
  });
});

describe('the live view with wide task names and args', () => {
  let view: RenderedTui | undefined;
  afterEach(() => view?.unmount());

  it('keeps every row of the tasks pane aligned: the same columns start at the same cell on every row', async () => {
    const clock = new ManualClock();
    const store = new ClusterStore({ clock, broker: 'amqp://guest:**@127.0.0.1:5672//' });
    store.setConnection({ phase: 'connected', broker: 'amqp://guest:**@127.0.0.1:5672//', reconnects: 0 });
    view = renderTui(<App store={store} clock={clock} isColor={false} />, { columns: 120, rows: 30 });
    const now = clock.now();
    const rows: Array<[string, string, string]> = [
      ['00000001-0000-4000-8000-000000000001', '報告書.作成', "('東京', '大阪')"],
      ['00000002-0000-4000-8000-000000000002', 'tasks.add', '(2, 2)'],
      ['00000003-0000-4000-8000-000000000003', '🚀.deploy', "('👩‍👩‍👧‍👦',)"],
      ['00000004-0000-4000-8000-000000000004', 'tasks.長い名前の処理を実行するタスク', "('" + '字'.repeat(40) + "',)"],
    ];
    store.dispatch([workerEvent('online', 'w1@vm', now, { active: 0, processed: 0 })]);
    store.dispatch(
      rows.flatMap(([id, name, args]) => [
        taskReceived(id, 'w1@vm', now, name, args),
        taskEvent('succeeded', id, 'w1@vm', now, { runtime: 0.25, result: '1' }),
      ]),
    );
    clock.advance(100);
    await vi.waitFor(() => expect(stripAnsi(view!.lastFrame())).toContain('00000004'));
    const lines = stripAnsi(view.lastFrame()).split('\n');
    for (const line of lines) expect(stringWidth(line), JSON.stringify(line)).toBeLessThanOrEqual(120);
    // The uuid column (its first 8 characters are unique) starts at the same cell on each task row, and so does the
    // worker column after the wide args.
    const starts = rows.map(([id]) => {
      const line = lines.find((l) => l.includes(id.slice(0, 8)))!;
      expect(line, `no row for ${id}`).toBeDefined();
      const before = (s: string) => stringWidth(line.slice(0, line.indexOf(s)));
      return [before(id.slice(0, 8)), before('w1@vm')];
    });
    expect(new Set(starts.map(([u]) => u)).size, JSON.stringify(starts)).toBe(1);
    expect(new Set(starts.map(([, w]) => w)).size, JSON.stringify(starts)).toBe(1);
  });
});
