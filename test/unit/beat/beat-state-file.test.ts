import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BeatStateFile } from '../../../src/beat/beat-state-file.js';
import { CamqError } from '../../../src/errors/index.js';
import { createLogger } from '../../../src/util/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'camq-beat-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('BeatStateFile', () => {
  it('round-trips the last runs as JSON, written by rename with no temporary file left', () => {
    const path = join(dir, 'a.json');
    const file = new BeatStateFile({ path, timezone: null, enableUtc: true });
    expect(file.load()).toEqual(new Map());
    const runs = new Map([['e', { lastRunAt: Date.UTC(2026, 11, 6, 10, 0, 0, 123), totalRunCount: 3 }]]);
    file.save(runs);
    expect(file.load()).toEqual(runs);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      format: 'camq-beat-schedule',
      tz: null,
      utc_enabled: true,
      entries: { e: { last_run_at: '2026-12-06T10:00:00.123Z', total_run_count: 3 } },
    });
    expect(readdirSync(dir).filter((f) => f.startsWith('a.json'))).toEqual(['a.json']);
  });

  it("resets when the timezone or enable_utc changed, with Celery's warning", () => {
    const path = join(dir, 'b.json');
    new BeatStateFile({ path, timezone: null, enableUtc: true }).save(new Map([['e', { lastRunAt: 1, totalRunCount: 1 }]]));
    const lines: string[] = [];
    const logger = createLogger({ level: 'warning', write: (l) => lines.push(l.replace(/^\[[^\]]+\] /, '')) });
    expect(new BeatStateFile({ path, timezone: 'Europe/Berlin', enableUtc: true, logger }).load()).toEqual(new Map());
    expect(new BeatStateFile({ path, timezone: null, enableUtc: false, logger }).load()).toEqual(new Map());
    expect(lines).toEqual(['Reset: Timezone changed from null to "Europe/Berlin"', 'Reset: UTC changed from enabled to disabled']);
  });

  it("refuses a file that is not camq's state (a Python beat's shelve) with one line, and leaves it alone", () => {
    const path = join(dir, 'celerybeat-schedule');
    writeFileSync(path, Buffer.from([0x00, 0x06, 0x15, 0x61, 0x02]));
    const file = new BeatStateFile({ path, timezone: null, enableUtc: true });
    let caught: unknown;
    try {
      file.load();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CamqError);
    expect((caught as CamqError).code).toBe('beat.state-file');
    expect((caught as CamqError).message).toBe(
      `${path} is not a camq beat schedule file (a Python beat's shelve?); pass --schedule with another file, or remove it to start afresh`,
    );
    expect(readFileSync(path)).toEqual(Buffer.from([0x00, 0x06, 0x15, 0x61, 0x02]));
  });

  it('says which file cannot be written, and why', () => {
    const file = new BeatStateFile({ path: join(dir, 'no-such-dir', 'x.json'), timezone: null, enableUtc: true });
    expect(() => file.save(new Map())).toThrow(
      /^cannot write the schedule file .*x\.json: ENOENT.*; fix its directory's permissions or pass --schedule FILE$/,
    );
  });
});
