import { readFile, rename, writeFile } from 'node:fs/promises';
import { CamqError } from '../errors/index.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

/**
 * `--statedb FILE`: what a worker keeps across restarts (docs/protocol.md, The worker's semantics): the revoked ids
 * with their insert times and the logical clock. Celery uses a Python shelve of pickles; camq writes its own JSON,
 * atomically (temp file + rename), so a crash mid-write never leaves a torn file:
 *
 *     {"format": "camq-statedb", "version": 1, "clock": 42, "revoked": [["<task id>", <epoch ms>], ...]}
 */
export interface WorkerStateSnapshot {
  readonly clock: number;
  /** `[id, insertedAtEpochMs]`, oldest first. */
  readonly revoked: readonly (readonly [string, number])[];
}

const FORMAT = 'camq-statedb';

export async function loadStateDb(path: string): Promise<WorkerStateSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CamqError('worker.statedb', `cannot read the state db ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CamqError('worker.statedb', `the state db ${path} is not camq's format (not JSON); move it away or pass another --statedb`);
  }
  const record = data as { format?: unknown; clock?: unknown; revoked?: unknown };
  if (record.format !== FORMAT || !Array.isArray(record.revoked)) {
    throw new CamqError('worker.statedb', `the state db ${path} is not camq's format; move it away or pass another --statedb`);
  }
  const revoked = record.revoked.filter((p): p is [string, number] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number');
  return { clock: typeof record.clock === 'number' ? record.clock : 0, revoked };
}

export async function saveStateDb(path: string, state: WorkerStateSnapshot): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ format: FORMAT, version: 1, clock: state.clock, revoked: state.revoked }));
  await rename(tmp, path);
}

/** How long a change waits before it is written, so a burst of revokes is one write. */
const SAVE_DELAY_MS = 200;

/**
 * The worker's `--statedb`: loaded at start, written (debounced, on the worker's clock) when revoked ids change,
 * and once more at shutdown. Without a path it does nothing. A write that fails is one error line, not a crash.
 */
export class StateDb {
  private readonly path: string | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly snapshot: () => WorkerStateSnapshot;
  private timer: TimerHandle | undefined;

  constructor(options: { path: string | undefined; clock: Clock; logger: Logger; snapshot: () => WorkerStateSnapshot }) {
    this.path = options.path;
    this.clock = options.clock;
    this.logger = options.logger;
    this.snapshot = options.snapshot;
  }

  /** What the last run kept, if there is a state db and it exists. */
  async load(): Promise<WorkerStateSnapshot | undefined> {
    return this.path ? loadStateDb(this.path) : undefined;
  }

  /** Write soon (one write for a burst of changes). */
  scheduleSave(): void {
    if (!this.path || this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, SAVE_DELAY_MS);
    this.timer.unref();
  }

  /** Write now. */
  async save(): Promise<void> {
    if (!this.path) return;
    this.timer?.cancel();
    this.timer = undefined;
    try {
      await saveStateDb(this.path, this.snapshot());
    } catch (err) {
      this.logger.error(`cannot write the state db ${this.path}: ${(err as Error).message}`);
    }
  }
}
