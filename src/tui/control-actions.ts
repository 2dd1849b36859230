/**
 * What the live view needs from the remote-control client (src/control), and no more: the app takes an object of
 * this shape as a prop, so the view never builds a pidbox message and tests drive it with a scripted fake.
 */

/** One worker's answer to a control command. */
export interface NodeReply {
  /** The worker's node name, `w1@host`. */
  readonly node: string;
  /** False when the worker answered with an error (`{"error": ...}`). */
  readonly ok: boolean;
  /** The reply as one line of text: `pong`, `tasks revoked`, `new rate limit set successfully`. */
  readonly text: string;
}

export interface ControlActions {
  /** Broadcast `ping` and collect the replies. */
  ping(): Promise<readonly NodeReply[]>;
  /** Broadcast `revoke` for one task id; `terminate` also kills it where it runs. */
  revoke(taskId: string, options: { readonly terminate: boolean }): Promise<readonly NodeReply[]>;
  /** Broadcast `rate_limit` for a task name (`10/s`, `5/m`, `0` to remove the limit). */
  rateLimit(taskName: string, rate: string): Promise<readonly NodeReply[]>;
}
