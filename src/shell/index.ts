export { ShellSession, type ExecuteOptions, type ShellSessionEvents, type ShellSessionOptions } from './shell-session.js';
export {
  COMMANDS,
  COMMAND_NAMES,
  findCommand,
  signature,
  usageLine,
  type ArgSpec,
  type ArgValue,
  type CommandName,
  type CommandSpec,
} from './command-table.js';
export { completeLine, type Completion, type CompletionNames } from './completer.js';
export { parseCommand, type ParsedCommand } from './parse-command.js';
export { isCommentOrBlank, quoteWord, scanLine, splitLine, type Token } from './tokenize.js';
export { coerceBoolean, coerceInteger } from './coerce.js';
export { formatMessage, formatNotice, formatOutcome, helpLines, type TextLine, type Tone } from './format-text.js';
export { outcomeToJson } from './format-json.js';
export { ShellInputError } from './shell-input-error.js';
export { MessageReturnedError } from './message-returned-error.js';
export type { CommandResult, FetchedMessage, ReturnedMessage, ShellNotice, ShellOutcome, UnackedDelivery } from './shell-result.js';
