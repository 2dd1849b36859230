/**
 * # The journal (docs/journal.md)
 *
 * A local, append-only record of what camq saw on one broker: Celery events as received, task message bodies (for
 * an exact retry) and actions (the audit trail). One directory per broker identity (host, port, vhost; never the
 * password): `$XDG_DATA_HOME/camq/<host>_<port>_<vhost>`, else `~/.local/share/camq/...`; `--journal DIR` names
 * the directory itself.
 *
 * ```ts
 * const journal = openJournal({ broker: parsedUrl, warn: (line) => log(line) });
 * if (!journal.enabled) log(journal.disabledReason);   // one line; go on without it: appends are no-ops
 * receiver.on('events', (events) => journal.appendEvents(events));
 * journal.appendAction({ who: 'ann@ops1', what: 'revoke', when: Date.now(), target: id, replies });
 * journal.flush();                                      // sync; returns false when disabled (the recorder acks after it)
 * journal.close();
 *
 * const reader = journal.reader();                      // or readJournal(dir) without writing
 * reader.summary();                                     // { since, until, tasks, events, ... } from segment indexes
 * reader.recentEvents(10_000);                          // what a live view opens with
 * reader.tasks({ name: 'tasks.add', state: 'FAILURE', since: Date.now() - 3_600_000 });
 * reader.entries({ since, until, kinds: ['event'] }); reader.actions(); reader.taskBody(taskId);
 * ```
 *
 * - **Format**: segment files of length-prefixed, CRC-checked records (record-codec.ts), each written by one process
 *   only (segment-files.ts); readers merge them by time. A killed writer leaves at most a torn last record: readers
 *   skip it with one warning, the next writer on this host seals it.
 * - **Durability**: records wait in memory at most `flushIntervalMs` (200 ms), then one write(2): kill -9 loses at
 *   most that. `fsync: true` adds fdatasync per flush (power cuts too).
 * - **Heartbeats**: a worker's first, then one a minute (heartbeat-thinning.ts); online and offline always.
 * - **Dedup**: every record has a key (event-key.ts: sender hostname, type, uuid, timestamp, clock); readers keep
 *   each key once, and a writer skips keys it wrote recently (`primeDedup` for a restarted recorder).
 * - **Bounds**: 1 GiB and 14 days by default; failed tasks' records (and actions) are copied into `fail` segments
 *   kept 90 days and dropped last when over size (segment-maintenance.ts).
 * - **Failure**: openJournal never throws for I/O. A directory it cannot write gives a disabled journal with a
 *   one-line `disabledReason`; a write failing later (disk full) disables it and calls `onDisabled` once.
 */
import type { EventEnvelope } from '../protocol/event-message.js';
import type { BrokerUrl } from '../transport/broker-url.js';
import { journalDirectory } from './journal-location.js';
import type { ActionRecord, TaskBodyRecord } from './journal-records.js';
import { JournalReader } from './journal-reader.js';
import { describeWriteError, JournalWriter } from './journal-writer.js';
import { JOURNAL_DEFAULTS } from './journal-defaults.js';
import { HeartbeatThinner } from './heartbeat-thinning.js';
import type { RetentionLimits } from './segment-maintenance.js';

export { JOURNAL_DEFAULTS } from './journal-defaults.js';

export interface OpenJournalOptions extends Partial<RetentionLimits> {
  /** The broker whose journal this is (its directory under the data root). Either this or `dir`. */
  readonly broker?: Pick<BrokerUrl, 'protocol' | 'hostname' | 'port' | 'vhost'>;
  /** The journal directory itself (`--journal DIR`). */
  readonly dir?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly segmentBytes?: number;
  readonly flushIntervalMs?: number;
  /** fdatasync after every flush. @defaultValue false */
  readonly fsync?: boolean;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  /** Warnings (a torn record sealed); one line each. */
  readonly warn?: (line: string) => void;
  /** A write failed for good (disk full): the journal is disabled from now on; `reason` is one line. */
  readonly onDisabled?: (reason: string) => void;
}

export interface Journal {
  readonly dir: string;
  readonly enabled: boolean;
  /** Why the journal is off (one line a user can act on), when it is. */
  readonly disabledReason: string | undefined;
  appendEvents(events: readonly EventEnvelope[]): void;
  appendTaskBody(body: TaskBodyRecord): void;
  appendAction(action: ActionRecord): void;
  /** Write what is pending now (synchronous). False when disabled: nothing was written. */
  flush(): boolean;
  /** Skip records already in the journal from `since` (epoch ms) on; returns how many keys were loaded. */
  primeDedup(since: number): number;
  /** Records appended and duplicates skipped by this writer. */
  readonly stats: { readonly appended: number; readonly duplicates: number };
  reader(): JournalReader;
  close(): void;
}

/** Open a journal for writing. Never throws for I/O: see `enabled` and `disabledReason`. */
export function openJournal(options: OpenJournalOptions): Journal {
  if (options.dir === undefined && options.broker === undefined) throw new TypeError('openJournal needs a broker or a dir');
  const dir = journalDirectory(options.broker ?? { protocol: 'amqp', hostname: '', port: 0, vhost: '' }, { dir: options.dir, env: options.env });
  const warn = options.warn ?? (() => {});
  let disabledReason: string | undefined;
  let writer: JournalWriter | undefined;
  const heartbeats = new HeartbeatThinner();
  try {
    writer = new JournalWriter({
      dir,
      maxBytes: options.maxBytes ?? JOURNAL_DEFAULTS.maxBytes,
      maxAgeMs: options.maxAgeMs ?? JOURNAL_DEFAULTS.maxAgeMs,
      failureMaxAgeMs: options.failureMaxAgeMs ?? JOURNAL_DEFAULTS.failureMaxAgeMs,
      segmentBytes: options.segmentBytes ?? JOURNAL_DEFAULTS.segmentBytes,
      segmentAgeMs: options.segmentAgeMs ?? JOURNAL_DEFAULTS.segmentAgeMs,
      flushIntervalMs: options.flushIntervalMs ?? JOURNAL_DEFAULTS.flushIntervalMs,
      fsync: options.fsync ?? false,
      now: options.now ?? Date.now,
      warn,
      onDisabled: (reason) => {
        disabledReason = reason;
        options.onDisabled?.(reason);
      },
    });
  } catch (err) {
    disabledReason = describeWriteError(err, dir);
  }
  return {
    dir,
    get enabled() {
      return disabledReason === undefined;
    },
    get disabledReason() {
      return disabledReason;
    },
    appendEvents: (events) => writer?.appendEvents(heartbeats.filter(events)),
    appendTaskBody: (body) => writer?.appendTaskBody(body),
    appendAction: (action) => writer?.appendAction(action),
    flush: () => writer?.flush() ?? false,
    primeDedup: (since) => writer?.primeDedup(since) ?? 0,
    get stats() {
      return { appended: writer?.appended ?? 0, duplicates: writer?.duplicates ?? 0 };
    },
    reader: () => new JournalReader(dir, warn),
    close: () => writer?.close(),
  };
}

/** Read a journal without writing to it (`camq history`, a replay). */
export function readJournal(dir: string, warn?: (line: string) => void): JournalReader {
  return new JournalReader(dir, warn);
}
