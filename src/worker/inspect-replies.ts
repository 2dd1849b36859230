import { hostname as osHostname, release as osRelease, type as osType } from 'node:os';
import type { StatsReply } from '../protocol/index.js';
import type { Transport } from '../transport/index.js';

/**
 * What `inspect stats`, `inspect report` and `inspect conf` say about a worker, in the shapes Python workers send
 * (docs/protocol.md, Remote control): built from a snapshot of the worker, so the worker keeps its state and these
 * replies keep their wire shapes.
 */
export interface WorkerSnapshot {
  readonly connection: Pick<Transport, 'url' | 'masked'>;
  /** Tasks run, by name. */
  readonly totals: Readonly<Record<string, number>>;
  readonly clock: number;
  readonly uptimeSeconds: number;
  readonly concurrency: number;
  readonly multiplier: number;
  readonly prefetchCount: number;
  readonly pool: { readonly kind: string; readonly processes: number[] };
  readonly softTimeLimit: number | null | undefined;
  readonly timeLimit: number | null | undefined;
  readonly acksLate: boolean;
  readonly taskEvents: boolean;
  readonly defaultQueue: string;
  readonly softwareVersion: string | undefined;
  readonly statedb: string | undefined;
  readonly modulePath: string | undefined;
  /** Serializer names, as `accept_content` lists them. */
  readonly acceptContent: readonly string[];
  readonly resultSerializer: string;
}

/** `inspect stats`: Celery's keys, with this process's resource usage. */
export function statsReply(w: WorkerSnapshot): StatsReply {
  const usage = process.resourceUsage();
  const url = w.connection.url;
  return {
    total: { ...w.totals },
    pid: process.pid,
    clock: String(w.clock),
    uptime: w.uptimeSeconds,
    pool: {
      'max-concurrency': w.concurrency,
      processes: w.pool.processes,
      'max-tasks-per-child': 'N/A',
      'put-guarded-by-semaphore': false,
      timeouts: [w.softTimeLimit ?? 0, w.timeLimit ?? 0],
      implementation: `camq:${w.pool.kind}`,
    },
    broker: {
      hostname: url.hostname,
      userid: url.username,
      virtual_host: url.vhost,
      port: url.port,
      insist: false,
      ssl: url.protocol === 'amqps',
      transport: 'amqp',
      connect_timeout: 4,
      transport_options: {},
      login_method: 'PLAIN',
      uri_prefix: null,
      heartbeat: 60,
      failover_strategy: 'round-robin',
      alternates: [],
    },
    prefetch_count: w.prefetchCount,
    rusage: {
      utime: usage.userCPUTime / 1e6,
      stime: usage.systemCPUTime / 1e6,
      maxrss: usage.maxRSS,
      ixrss: usage.sharedMemorySize,
      idrss: usage.unsharedDataSize,
      isrss: usage.unsharedStackSize,
      minflt: usage.minorPageFault,
      majflt: usage.majorPageFault,
      nswap: usage.swappedOut,
      inblock: usage.fsRead,
      oublock: usage.fsWrite,
      msgsnd: usage.ipcSent,
      msgrcv: usage.ipcReceived,
      nsignals: usage.signalsCount,
      nvcsw: usage.voluntaryContextSwitches,
      nivcsw: usage.involuntaryContextSwitches,
    },
  };
}

/** `inspect report`: Celery's bug-report text. */
export function reportText(w: WorkerSnapshot): string {
  return [
    `software -> camq:${w.softwareVersion ?? '0.0.0'} node:${process.versions.node} amqplib`,
    `platform -> system:${osType()} release:${osRelease()} arch:${process.arch}`,
    `            loader:camq pool:${w.pool.kind} concurrency:${w.concurrency}`,
    `settings -> transport:amqp results:rpc://`,
    '',
    `broker_url: ${JSON.stringify(w.connection.masked)}`,
    `result_backend: 'rpc://'`,
    `host: ${JSON.stringify(osHostname())}`,
  ].join('\n');
}

/** `inspect conf`: the settings a Celery worker would list, with Celery's names; `withDefaults` adds the fixed ones. */
export function confReply(w: WorkerSnapshot, withDefaults: boolean): Record<string, unknown> {
  const conf: Record<string, unknown> = {
    broker_url: w.connection.masked.replace(/:\*\*@/, ':********@'),
    result_backend: 'rpc://',
    task_default_queue: w.defaultQueue,
    task_acks_late: w.acksLate,
    task_time_limit: w.timeLimit ?? null,
    task_soft_time_limit: w.softTimeLimit ?? null,
    worker_concurrency: w.concurrency,
    worker_pool: w.pool.kind,
    worker_prefetch_multiplier: w.multiplier,
    worker_send_task_events: w.taskEvents,
    worker_state_db: w.statedb ?? null,
    include: w.modulePath ? [w.modulePath] : [],
  };
  if (withDefaults)
    Object.assign(conf, {
      accept_content: [...w.acceptContent],
      // camq has no app-wide task serializer: a task without its own `serializer` option writes JSON (delay,
      // applyAsync, its retries and canvas messages), which is what Celery's app.conf.task_serializer means.
      task_serializer: 'json',
      result_serializer: w.resultSerializer,
      event_exchange: 'celeryev',
      control_exchange: 'celery',
    });
  return conf;
}
