export {
  ControlClient,
  DEFAULT_CONTROL_TIMEOUT,
  DEFAULT_EXPECTED_GRACE_MS,
  RECEIVERS,
  type CallOptions,
  type ControlClientOptions,
  type ExpectedNodes,
  type TargetOptions,
} from './control-client.js';
export * from './control-command.js';
export { INSPECT_TARGETS, findInspectTarget, inspectCommand, type InspectTarget } from './inspect-target.js';
export {
  ReplyCollector,
  effectiveLimit,
  type ControlResult,
  type NodeReply,
  type ReplyCollectorOptions,
  type StopReason,
} from './reply-collector.js';
// Replies as text: what celeryctl prints, for a library user to print the same.
export * from './reply-text.js';
