import { Option } from 'commander';
import { ActionPolicy } from '../audit/action-policy.js';
import type { CliIO } from './cli-io.js';

/**
 * `--read-only` (and CAMQ_READ_ONLY=1) on every tool, for on-call use: actions that change the cluster are refused
 * with one line naming the flag; reads keep working. What is an action: src/audit/action-catalog.ts.
 */
export function readOnlyOption(): Option {
  return new Option('--read-only', 'refuse every action that changes the cluster (revoke, purge, call, ...); also CAMQ_READ_ONLY=1');
}

/** The flag, else CAMQ_READ_ONLY (1, true or yes). */
export function isReadOnly(flag: boolean | undefined, io: CliIO): boolean {
  if (flag === true) return true;
  const env = io.env['CAMQ_READ_ONLY']?.trim().toLowerCase();
  return env === '1' || env === 'true' || env === 'yes';
}

/** The policy the engines get: read-only or not; actions are not recorded yet (the journal will be the sink). */
export function actionPolicyFor(flag: boolean | undefined, io: CliIO): ActionPolicy {
  return new ActionPolicy({ readOnly: isReadOnly(flag, io) });
}
