import { shortstrProblem } from '../protocol/shortstr.js';
import { BOOLEAN_WORDS, coerceBoolean, coerceInteger } from './coerce.js';
import { findCommand, requiredCount, usageLine, type ArgSpec, type ArgValue, type CommandSpec } from './command-table.js';
import type { PropertiesView } from './message-properties.js';
import { parsePublishProperties, propertyWordName } from './publish-properties.js';
import { ShellInputError } from './shell-input-error.js';
import { suggestCommand } from './suggest.js';

/** A command line resolved against the command table, with every argument coerced to its type. */
export interface ParsedCommand {
  readonly spec: CommandSpec;
  readonly args: CommandArgs;
  /** `basic.publish` only: the `name=value` properties. */
  readonly properties: PropertiesView | undefined;
}

/** Argument values by name, read back with their types. */
export class CommandArgs {
  constructor(readonly values: Readonly<Record<string, ArgValue>>) {}

  string(name: string): string {
    return this.typed(name, 'string');
  }

  bool(name: string): boolean {
    return this.typed(name, 'boolean');
  }

  int(name: string): number {
    return this.typed(name, 'number');
  }

  private typed<T extends 'string' | 'boolean' | 'number'>(
    name: string,
    type: T,
  ): T extends 'string' ? string : T extends 'boolean' ? boolean : number {
    const value = this.values[name];
    if (typeof value !== type) throw new TypeError(`argument ${name} is ${typeof value}, not ${type}`);
    return value as never;
  }
}

/** Resolve words (the command name first) into a ParsedCommand, or throw a ShellInputError saying what is wrong. */
export function parseCommand(words: readonly string[]): ParsedCommand {
  const [name, ...rest] = words;
  const spec = name === undefined ? undefined : findCommand(name);
  if (!spec) throw unknownCommand(name ?? '');

  let positional = rest;
  let properties: PropertiesView | undefined;
  if (spec.takesProperties) {
    // The first word is always the message, so only later words can be properties.
    const propertyWords = rest.filter((w, i) => i > 0 && propertyWordName(w) !== undefined);
    positional = rest.filter((w, i) => i === 0 || propertyWordName(w) === undefined);
    properties = parsePublishProperties(propertyWords, spec.name);
  }

  const min = requiredCount(spec);
  const max = spec.args.length;
  if (positional.length < min || positional.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    const plural = max === 1 ? '' : 's';
    throw new ShellInputError(
      'shell.arity',
      `${spec.name} takes ${expected} argument${plural}, got ${positional.length}; usage: ${usageLine(spec)}`,
      usageLine(spec),
    );
  }

  const values: Record<string, ArgValue> = {};
  spec.args.forEach((arg, i) => {
    const word = positional[i];
    values[arg.name] = word === undefined ? arg.default! : coerceArg(spec, arg, word);
  });
  return { spec, args: new CommandArgs(values), properties };
}

function coerceArg(spec: CommandSpec, arg: ArgSpec, word: string): ArgValue {
  switch (arg.type) {
    case 'string': {
      const problem = arg.shortstr ? shortstrProblem(arg.name, word) : undefined;
      if (problem) throw new ShellInputError('shell.too-long', `${spec.name}: ${problem}, so nothing was sent`, usageLine(spec));
      return word;
    }
    case 'bool': {
      const value = coerceBoolean(word);
      if (value === undefined) {
        throw new ShellInputError('shell.bad-boolean', `${spec.name}: ${arg.name} must be ${BOOLEAN_WORDS}, not '${word}'`, usageLine(spec));
      }
      return value;
    }
    case 'int': {
      const value = coerceInteger(word);
      if (value === undefined) {
        throw new ShellInputError('shell.bad-integer', `${spec.name}: ${arg.name} must be a whole number, not '${word}'`, usageLine(spec));
      }
      return value;
    }
  }
}

export function unknownCommand(name: string): ShellInputError {
  const suggestion = suggestCommand(name);
  const hint = suggestion ? `did you mean '${suggestion}'? ('help' lists the commands)` : "'help' lists the commands";
  return new ShellInputError('shell.unknown-command', `unknown command '${name}'; ${hint}`);
}
