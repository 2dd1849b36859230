import { CamqError, ManagementApiError } from '../errors/index.js';
import { DEFAULT_QUEUE } from '../protocol/topology.js';
import { isRedisUrl, type BrokerUrl } from '../transport/broker-url.js';
import type { Transport } from '../transport/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { parseQueueList, queueListPath } from './api-queue-figures.js';
import { discoverManagementApi, type ApiDiscovery } from './api-discovery.js';
import type { ManagementApi } from './management-api.js';
import { passiveDeclareFigures } from './passive-declare-figures.js';
import type { QueueListing } from './queue-figures.js';
import { withStoredFigures } from './stored-queue-figures.js';

/** What to do when the management API is missing: the line every listing from AMQP carries. */
export const ENABLE_API_HINT = "enable it with 'rabbitmq-plugins enable rabbitmq_management' (camq broker: --management) or point --api at it";

export interface QueueListerOptions {
  /** The broker: the API is looked for on its host (see discoverManagementApi), its vhost is listed. */
  readonly broker: BrokerUrl;
  /** `--api URL` / `CAMQ_API_URL`: this API and no other; its failures are errors, not a fallback. */
  readonly apiUrl?: string | undefined;
  /** False: do not look for the API at all (`--no-api`); list with AMQP passive declares. @defaultValue true */
  readonly useApi?: boolean | undefined;
  /** Where to look for the API instead of the broker's host (ApiDiscoveryOptions.candidates). */
  readonly apiCandidates?: readonly string[] | undefined;
  /**
   * An open transport for the fallback (AMQP passive declares), asked for only when the API is missing. Without it
   * a missing API is an error (`queues.no-figures`).
   */
  readonly transport?: (() => Promise<Transport>) | undefined;
  /** Queue names to declare passively besides `celery` (`-Q`). */
  readonly names?: readonly string[] | undefined;
  /** The names of the queues workers consume from (workerQueueNames over a ControlClient), asked for on fallback. */
  readonly workerQueueNames?: (() => Promise<readonly string[]>) | undefined;
  /**
   * Queue name → the workers consuming it (workerQueueConsumers over a ControlClient), asked for on fallback in place
   * of workerQueueNames. Where the broker cannot count consumers (queues stored as data: Redis), the listing's
   * consumer counts are these.
   */
  readonly workerQueueConsumers?: (() => Promise<ReadonlyMap<string, number>>) | undefined;
  /** Per API request. @defaultValue 5000 */
  readonly timeoutMs?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly fetch?: typeof fetch | undefined;
}

/**
 * The queues engine's listing: figures for every queue of the broker's vhost from the management API when it
 * answers for this broker, else ready and consumer counts of the queues camq can name, from AMQP passive declares,
 * with a line saying what is missing. The API is looked for once; later listings (`--watch`, the live view) reuse
 * the answer. No terminal, no printing: views format what `list()` returns.
 */
export class QueueLister {
  private readonly clock: Clock;
  private discovery: Promise<ApiDiscovery> | undefined;

  constructor(private readonly options: QueueListerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The management API in use, or null when the listing falls back to AMQP (looks it up on first call). */
  async api(): Promise<ManagementApi | null> {
    return (await this.discover()).api;
  }

  async list(): Promise<QueueListing> {
    const found = await this.discover();
    if (found.api !== null) {
      try {
        return await this.listFromApi(found.api);
      } catch (err) {
        // An API given by the user is the one to use; a discovered one that refuses the listing (403 on the vhost)
        // leaves the fallback.
        if (this.options.apiUrl !== undefined || !(err instanceof ManagementApiError)) throw err;
        return this.listFromAmqp(err.message);
      }
    }
    return this.listFromAmqp(found.reason);
  }

  private discover(): Promise<ApiDiscovery> {
    if (this.options.useApi === false) return Promise.resolve({ api: null, reason: 'not asked for: --no-api' });
    this.discovery ??= discoverManagementApi({
      broker: this.options.broker,
      apiUrl: this.options.apiUrl,
      candidates: this.options.apiCandidates,
      timeoutMs: this.options.timeoutMs,
      clock: this.options.clock,
      fetch: this.options.fetch,
    });
    return this.discovery;
  }

  private async listFromApi(api: ManagementApi): Promise<QueueListing> {
    const vhost = this.options.broker.vhost;
    const started = this.clock.monotonic();
    const body = await api.get(queueListPath(vhost));
    const brokerMs = this.clock.monotonic() - started;
    const queues = parseQueueList(body, vhost);
    if (queues === null) {
      throw new ManagementApiError(
        'api.not-json',
        `the management API at ${api.origin} answered the queue list of vhost '${vhost}' with something that is not a list`,
      );
    }
    return { source: 'api', api: api.origin, queues, takenAt: this.clock.now(), brokerMs, missing: null };
  }

  private async listFromAmqp(reason: string): Promise<QueueListing> {
    const missing = isRedisUrl(this.options.broker)
      ? `${reason}: showing the ready counts (per priority list) and unacked messages of every queue stored on it`
      : `no management API (${reason}): showing ready and consumer counts of the queues camq can name only; ${ENABLE_API_HINT}`;
    if (this.options.transport === undefined) throw new CamqError('queues.no-figures', missing, { exitCode: 2 });
    const transport = await this.options.transport();
    const workers = this.options.workerQueueConsumers ? await this.options.workerQueueConsumers() : undefined;
    const fromWorkers = workers ? [...workers.keys()] : this.options.workerQueueNames ? await this.options.workerQueueNames() : [];
    // Where queues are stored as data (Redis) the server can name them all, those nobody consumes included.
    const stored = transport.storedQueues ? await transport.storedQueues.queueNames() : undefined;
    const names = [DEFAULT_QUEUE, ...(this.options.names ?? []), ...fromWorkers, ...(stored?.names ?? [])];
    const started = this.clock.monotonic();
    const declared = (await passiveDeclareFigures(transport, this.options.broker.vhost, names)).queues;
    // Queues stored as data (Redis): per-priority counts and the unacked messages too.
    const queues = transport.storedQueues ? await withStoredFigures(transport.storedQueues, declared, workers) : declared;
    const brokerMs = this.clock.monotonic() - started;
    const partly = stored?.complete === false ? '; the database has too many keys to find every queue: name more with -Q' : '';
    return { source: 'amqp', api: null, queues, takenAt: this.clock.now(), brokerMs, missing: missing + partly };
  }
}
