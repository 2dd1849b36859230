import { BrokerError, type CamqError } from '../errors/index.js';
import { COMMANDS, findCommand, usageLine } from './command-table.js';
import { MessageReturnedError } from './message-returned-error.js';
import type { CommandResult, ShellOutcome } from './shell-result.js';
import { ShellInputError } from './shell-input-error.js';

/**
 * One JSON object per executed command (`--json`), from the same structured outcome the text comes from:
 *
 *     {"n":2,"command":"queue.declare","args":{"queue":"q","passive":false,...},"ok":true,
 *      "result":{"kind":"queue-declared","queue":"q","message_count":0,"consumer_count":0}}
 *     {"n":3,"command":"queue.declare","args":{...},"ok":false,
 *      "error":{"code":"broker.not-found","message":"404 NOT_FOUND - no queue 'x' in vhost '/'","reply_code":404},
 *      "channel_reopened":{"requeued":[]}}
 */
export function outcomeToJson(outcome: ShellOutcome): Record<string, unknown> {
  const json: Record<string, unknown> = { n: outcome.number, command: outcome.command ?? outcome.words[0] ?? null };
  if (outcome.args) json['args'] = outcome.args;
  if (outcome.properties && Object.keys(outcome.properties).length > 0) json['properties'] = outcome.properties;
  json['ok'] = outcome.ok;
  if (outcome.result) json['result'] = resultToJson(outcome.result);
  if (outcome.error) json['error'] = errorToJson(outcome.error);
  if (outcome.channelReopened) json['channel_reopened'] = { requeued: outcome.channelReopened.requeued };
  return json;
}

function resultToJson(result: CommandResult): Record<string, unknown> {
  if (result.kind !== 'help') return { ...result };
  const specs = result.command ? [findCommand(result.command)!] : COMMANDS;
  return {
    kind: 'help',
    commands: specs.map((spec) => ({
      name: spec.name,
      usage: usageLine(spec),
      summary: spec.summary,
      args: spec.args.map((a) => ({ name: a.name, type: a.type, ...(a.default === undefined ? {} : { default: a.default }), help: a.help })),
    })),
  };
}

export function errorToJson(error: CamqError): Record<string, unknown> {
  const json: Record<string, unknown> = { code: error.code, message: error.message };
  if (error instanceof BrokerError) json['reply_code'] = error.replyCode;
  if (error instanceof ShellInputError && error.usage) json['usage'] = error.usage;
  if (error instanceof MessageReturnedError) json['returned'] = error.returned;
  return json;
}
