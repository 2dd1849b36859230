import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { CamqError } from '../errors/index.js';
import { silentLogger, type Logger } from '../util/logger.js';

/** One entry's memory across restarts: Celery's `last_run_at` and `total_run_count`. */
export interface EntryRunState {
  readonly lastRunAt: number;
  readonly totalRunCount: number;
}

/** Where the scheduler keeps its entries' last runs; the file below, or memory in tests and libraries. */
export interface BeatStateStore {
  load(): Map<string, EntryRunState>;
  save(entries: ReadonlyMap<string, EntryRunState>): void;
}

/** The file's shape: Celery's shelve keys (`tz`, `utc_enabled`, `entries`) as JSON. */
interface StateFileBody {
  readonly format: 'camq-beat-schedule';
  readonly version: 1;
  readonly tz: string | null;
  readonly utc_enabled: boolean;
  readonly entries: Record<string, { readonly last_run_at: string; readonly total_run_count: number }>;
}

export interface BeatStateFileOptions {
  readonly path: string;
  /** Celery's `timezone` setting as given (null when unset); a change resets the state, as Celery's does. */
  readonly timezone: string | null;
  readonly enableUtc: boolean;
  readonly logger?: Logger;
}

/**
 * The last-run state in a JSON file (`--schedule`, default `celerybeat-schedule.json` in the working directory), the
 * counterpart of Celery's shelve file. Every save writes a temporary file beside it, flushes it to disk and renames it
 * over the old one, so a crash leaves either the old state or the new one, never half of one. As in Celery, a
 * changed `timezone` or `enable_utc` resets it. A file that is not camq's state is refused rather than overwritten
 * (it may be a Python beat's shelve).
 */
export class BeatStateFile implements BeatStateStore {
  private readonly options: BeatStateFileOptions;
  private readonly logger: Logger;

  constructor(options: BeatStateFileOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
  }

  get path(): string {
    return this.options.path;
  }

  load(): Map<string, EntryRunState> {
    const { path } = this.options;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new CamqError(
        'beat.state-file',
        `cannot read the schedule file ${path}: ${(err as Error).message}; fix its permissions or pass --schedule FILE`,
        { cause: err },
      );
    }
    const body = parseBody(text);
    if (!body) {
      throw new CamqError(
        'beat.state-file',
        `${path} is not a camq beat schedule file (a Python beat's shelve?); pass --schedule with another file, or remove it to start afresh`,
      );
    }
    if (body.tz !== this.options.timezone) {
      this.logger.warning(`Reset: Timezone changed from ${JSON.stringify(body.tz)} to ${JSON.stringify(this.options.timezone)}`);
      return new Map();
    }
    if (body.utc_enabled !== this.options.enableUtc) {
      const word = (b: boolean) => (b ? 'enabled' : 'disabled');
      this.logger.warning(`Reset: UTC changed from ${word(body.utc_enabled)} to ${word(this.options.enableUtc)}`);
      return new Map();
    }
    const entries = new Map<string, EntryRunState>();
    for (const [name, entry] of Object.entries(body.entries)) {
      const lastRunAt = Date.parse(entry.last_run_at);
      if (Number.isFinite(lastRunAt)) entries.set(name, { lastRunAt, totalRunCount: Math.max(0, Math.trunc(entry.total_run_count) || 0) });
    }
    return entries;
  }

  save(entries: ReadonlyMap<string, EntryRunState>): void {
    const body: StateFileBody = {
      format: 'camq-beat-schedule',
      version: 1,
      tz: this.options.timezone,
      utc_enabled: this.options.enableUtc,
      entries: Object.fromEntries(
        [...entries].map(([name, e]) => [name, { last_run_at: new Date(e.lastRunAt).toISOString(), total_run_count: e.totalRunCount }]),
      ),
    };
    const { path } = this.options;
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      const fd = openSync(temporary, 'w', 0o644);
      try {
        writeSync(fd, JSON.stringify(body, null, 1) + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, path);
    } catch (err) {
      rmSync(temporary, { force: true });
      throw new CamqError(
        'beat.state-file',
        `cannot write the schedule file ${path}: ${(err as Error).message}; fix its directory's permissions or pass --schedule FILE`,
        {
          cause: err,
        },
      );
    }
  }
}

function parseBody(text: string): StateFileBody | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Partial<StateFileBody>;
  if (b.format !== 'camq-beat-schedule' || typeof b.entries !== 'object' || b.entries === null) return undefined;
  if (typeof b.utc_enabled !== 'boolean' || (b.tz !== null && typeof b.tz !== 'string')) return undefined;
  for (const e of Object.values(b.entries)) {
    if (typeof e !== 'object' || e === null || typeof e.last_run_at !== 'string' || typeof e.total_run_count !== 'number') return undefined;
  }
  return b as StateFileBody;
}

/** State kept in memory only (a library user who wants no file; tests). */
export class MemoryBeatState implements BeatStateStore {
  private entries = new Map<string, EntryRunState>();
  saves = 0;

  load(): Map<string, EntryRunState> {
    return new Map(this.entries);
  }

  save(entries: ReadonlyMap<string, EntryRunState>): void {
    this.entries = new Map(entries);
    this.saves++;
  }
}
