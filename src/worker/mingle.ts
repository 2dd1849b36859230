import type { LamportClock } from '../protocol/index.js';
import type { Logger } from '../util/logger.js';
import type { RevokedSet } from './revoked-set.js';

/** Seconds Celery's mingle waits for `hello` replies: it cannot know how many nodes there are, so it waits them out. */
export const MINGLE_TIMEOUT = 1.0;

/** What mingling reads and changes on the worker. */
export interface MingleTarget {
  readonly hostname: string;
  readonly revoked: RevokedSet;
  readonly appClock: LamportClock;
  readonly logger: Logger;
  /** Revoked ids were added: persist them. */
  revokedChanged(): void;
}

/**
 * Broadcast the `hello` control command and collect the replies by node name within `options.timeout` seconds: the
 * shape of ControlClient.call, which the CLI wires in (the worker engine does not import the control client).
 */
export type HelloCall = (
  method: 'hello',
  args: Record<string, unknown>,
  options: { readonly timeout: number },
) => Promise<{ readonly replies: ReadonlyMap<string, unknown> }>;

/** A revoked set in mingle's wire format, `{id: [float time, id]}`; see revokedMapFrom. */
export type RevokedMap = Record<string, [number, string]>;

/**
 * Mingle (docs/protocol.md, The worker's semantics), as a Celery worker does it before it takes tasks, at start-up and
 * after every reconnect: broadcast `hello` with our revoked ids and take the other workers' revoked ids and clocks, so
 * a task revoked while this worker was away is not run here. Their revoke times are their own monotonic clocks,
 * meaningless here, so their ids count as revoked from now. Resolves with the number of workers that answered.
 */
export async function mingle(target: MingleTarget, hello: HelloCall, timeoutSeconds = MINGLE_TIMEOUT): Promise<number> {
  target.logger.info('mingle: searching for neighbors');
  const { replies } = await hello('hello', { from_node: target.hostname, revoked: revokedMapFrom(target.revoked) }, { timeout: timeoutSeconds });
  let nodes = 0;
  let added = 0;
  for (const [node, reply] of replies) {
    if (node === target.hostname || !isHelloReply(reply)) continue;
    nodes++;
    target.logger.debug(`mingle: processing reply from ${node}`);
    if (typeof reply.clock === 'number') target.appClock.adjust(reply.clock);
    for (const id of Object.keys(reply.revoked ?? {})) {
      if (!target.revoked.has(id)) added++;
      target.revoked.add(id);
    }
  }
  if (added > 0) target.revokedChanged();
  target.logger.info(nodes === 0 ? 'mingle: all alone' : `mingle: sync with ${nodes} nodes`);
  if (nodes > 0) target.logger.info('mingle: sync complete');
  return nodes;
}

/**
 * `{id: [float time, id]}`: the times in seconds, always printed with a fraction, since a Python 5.2 worker's
 * `hello` refuses integers (docs/protocol.md, The worker's semantics and Interoperability traps).
 */
export function revokedMapFrom(revoked: RevokedSet): RevokedMap {
  const out: RevokedMap = {};
  for (const [id, at] of revoked.toJSON()) {
    const seconds = at / 1000;
    out[id] = [Number.isInteger(seconds) ? seconds + 0.000001 : seconds, id];
  }
  return out;
}

interface HelloReply {
  readonly revoked?: Record<string, unknown> | null;
  readonly clock?: number;
}

function isHelloReply(reply: unknown): reply is HelloReply {
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply) || 'error' in reply) return false;
  const revoked = (reply as HelloReply).revoked;
  return revoked === undefined || revoked === null || (typeof revoked === 'object' && !Array.isArray(revoked));
}
