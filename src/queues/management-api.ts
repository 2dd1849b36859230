import { ManagementApiError } from '../errors/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { nodeHttpGet } from './node-http-get.js';

/** How long one request may take, body included, before it counts as not answering. */
export const DEFAULT_API_TIMEOUT_MS = 5000;

export interface ManagementApiOptions {
  /** Where the API lives, without `/api`: `http://127.0.0.1:15672`. Credentials in it are ignored (see username). */
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  /** @defaultValue 5000 (DEFAULT_API_TIMEOUT_MS) */
  readonly timeoutMs?: number;
  /** @defaultValue systemClock */
  readonly clock?: Clock;
  /** @defaultValue nodeHttpGet (node:http, connections kept alive) */
  readonly fetch?: typeof fetch;
}

/**
 * A client of RabbitMQ's management HTTP API: GET a path under `/api`, with basic auth, a timeout that covers the
 * body too, and one clear error for every way it can go wrong (ManagementApiError: unreachable, timeout, 401, 403,
 * 404, another status, an answer that is not JSON, such as a proxy's HTML page). The embedded broker serves the
 * same paths (src/broker/management-server.ts), so this one client serves both.
 */
export class ManagementApi {
  /** The base URL as every message prints it: no credentials, no trailing slash. */
  readonly origin: string;
  /** A private field: util.inspect and JSON.stringify never show the password in it. */
  readonly #authorization: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly fetchFn: typeof fetch;

  constructor(options: ManagementApiOptions) {
    const url = new URL(options.baseUrl);
    url.username = '';
    url.password = '';
    this.origin = url.href.replace(/\/+$/, '');
    this.#authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_API_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
    this.fetchFn = options.fetch ?? nodeHttpGet;
  }

  /** GET `/api/<path>` (path given without `/api/`, query included) and parse the JSON answer. */
  async get(path: string): Promise<unknown> {
    const shown = `GET /api/${path.replace(/\?.*$/, '')}`;
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.clock
      .setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.timeoutMs)
      .unref();
    let status: number;
    let text: string;
    let contentType: string;
    try {
      const res = await this.fetchFn(`${this.origin}/api/${path}`, {
        headers: { authorization: this.#authorization, accept: 'application/json' },
        signal: controller.signal,
        redirect: 'error',
      });
      status = res.status;
      contentType = res.headers.get('content-type') ?? '';
      text = await res.text();
    } catch (err) {
      if (timedOut) {
        throw new ManagementApiError(
          'api.timeout',
          `the management API at ${this.origin} did not answer ${shown} within ${formatSeconds(this.timeoutMs)}; check the address or give another with --api`,
          { cause: err },
        );
      }
      const reason = networkReason(err);
      if (TLS_TRUST_ERROR.test(reason)) {
        throw new ManagementApiError(
          'api.tls-untrusted',
          `the management API at ${this.origin} presented a certificate this machine does not trust (${reason}); trust its CA with NODE_EXTRA_CA_CERTS=/path/ca.pem, or give --api`,
          { cause: err },
        );
      }
      throw new ManagementApiError(
        'api.unreachable',
        `cannot reach the management API at ${this.origin} (${reason}); is the rabbitmq_management plugin enabled?`,
        {
          cause: err,
        },
      );
    } finally {
      timer.cancel();
    }
    if (status === 401) {
      throw new ManagementApiError(
        'api.unauthorized',
        `the management API at ${this.origin} refused the login (401) for ${shown}; check the user and password`,
        { status },
      );
    }
    if (status === 403) {
      throw new ManagementApiError(
        'api.forbidden',
        `the management API at ${this.origin} refused ${shown} (403): the user needs the 'monitoring' or 'management' tag and access to the vhost`,
        { status },
      );
    }
    if (status === 404) {
      throw new ManagementApiError('api.not-found', `the management API at ${this.origin} has no ${shown} (404): no such vhost or queue`, { status });
    }
    if (status < 200 || status >= 300) {
      throw new ManagementApiError('api.http-error', `the management API at ${this.origin} answered ${shown} with HTTP ${status}${reasonOf(text)}`, {
        status,
      });
    }
    try {
      return JSON.parse(text);
    } catch {
      const what = /html/i.test(contentType) || /^\s*</.test(text) ? 'an HTML page' : `'${contentType || 'no content type'}'`;
      throw new ManagementApiError(
        'api.not-json',
        `the management API at ${this.origin} answered ${shown} with ${what}, not JSON; is that address RabbitMQ's management API (or a proxy in front of it)?`,
        { status },
      );
    }
  }
}

/** Node's codes for a certificate it cannot verify (self-signed, unknown CA, wrong host name, expired). */
const TLS_TRUST_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME_INVALID/;

function formatSeconds(ms: number): string {
  return `${+(ms / 1000).toFixed(1)} s`;
}

/** fetch's TypeError hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, a certificate error). */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return typeof cause.message === 'string' ? `${cause.code}: ${cause.message}` : cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** RabbitMQ answers errors as `{"error": ..., "reason": ...}`; show the reason when there is one. */
function reasonOf(text: string): string {
  try {
    const body = JSON.parse(text) as { reason?: unknown };
    return typeof body.reason === 'string' ? ` (${body.reason.slice(0, 200)})` : '';
  } catch {
    return '';
  }
}
