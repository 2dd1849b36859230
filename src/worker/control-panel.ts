import {
  buildControlReply,
  CONTROL_COMMANDS,
  LamportClock,
  matchesDestination,
  pyExceptionRepr,
  type ControlRequest,
  type OutgoingMessage,
} from '../protocol/index.js';
import { BUILTIN_COMMANDS } from './builtin-commands.js';
import { NoReply, PanelError, type ControlCommandHandler, type ControlCommandOptions, type ControlTarget } from './control-target.js';

export type { ControlCommandHandler, ControlCommandOptions, ControlTarget } from './control-target.js';
export { PanelError } from './control-target.js';

/**
 * The worker's remote-control commands by wire name and alias (Celery's `Panel`): the built-in ones of the catalog
 * and the ones a task module registers (`Panel.register`). `handle` runs one request if it is for this node:
 * arguments bound to the command's declared ones, the handler's return value the reply (`{node: value}` with the
 * request's ticket), a handler that throws replying `{"error": "<Python repr>"}`, `shutdown` never replying. The
 * Mailbox (mailbox.ts) brings the requests from the broker and sends the replies.
 */
interface Command {
  readonly name: string;
  readonly handler: ControlCommandHandler;
  readonly options: ControlCommandOptions;
}

function pluralArgs(method: string, missing: string[]): string {
  const quoted = missing.map((m) => `'${m}'`);
  const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]!}`;
  return `${method}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${list}`;
}

/** Bind request arguments to a command's declared ones, with Python's TypeError messages. */
function bindArgs(command: Command, given: Record<string, unknown>): Record<string, unknown> {
  const specs = command.options.args ?? [];
  const bound: Record<string, unknown> = { ...given };
  if (command.options.strict) {
    const known = new Set(specs.map((s) => s.name));
    const extra = Object.keys(given).find((k) => !known.has(k));
    if (extra !== undefined) throw new PanelError('TypeError', `${command.name}() got an unexpected keyword argument '${extra}'`);
  }
  const missing: string[] = [];
  for (const spec of specs) {
    if (given[spec.name] !== undefined) continue;
    if ('default' in spec) bound[spec.name] = spec.default;
    else missing.push(spec.name);
  }
  if (missing.length > 0) throw new PanelError('TypeError', pluralArgs(command.name, missing));
  return bound;
}

/** The repr of whatever a handler threw. */
function errorRepr(err: unknown): string {
  if (err instanceof PanelError) return err.repr;
  if (err instanceof Error) return pyExceptionRepr(err.name === 'Error' ? 'Exception' : err.name, err.message);
  return pyExceptionRepr('Exception', String(err));
}

export class ControlPanel {
  private readonly commands = new Map<string, Command>();
  private readonly target: ControlTarget;
  /** The mailbox's own Lamport clock (reply headers), separate from the app clock. */
  readonly mailboxClock = new LamportClock();

  constructor(target: ControlTarget) {
    this.target = target;
    for (const spec of CONTROL_COMMANDS) this.add({ name: spec.method, handler: BUILTIN_COMMANDS[spec.method], options: spec });
  }

  /** Add a command (Celery's `Panel.register`); a name that exists is replaced. */
  register(name: string, handler: ControlCommandHandler, options: ControlCommandOptions = {}): void {
    this.add({ name, handler, options });
  }

  has(method: string): boolean {
    return this.commands.has(method);
  }

  /** Handle one request: run it if it is for us and return the reply message, if one is due. */
  async handle(request: ControlRequest): Promise<OutgoingMessage | undefined> {
    this.target.appClock.forward();
    this.mailboxClock.adjust(request.clock);
    if (!matchesDestination(request, this.target.hostname)) return undefined;
    let value: unknown;
    try {
      const command = this.commands.get(request.method);
      if (!command) throw new PanelError('KeyError', request.method);
      value = await command.handler(this.target, bindArgs(command, request.arguments));
    } catch (err) {
      if (err instanceof NoReply) return undefined;
      if (!(err instanceof PanelError))
        this.target.logger.error(`Error in remote control command ${request.method}: ${(err as Error)?.message ?? String(err)}`);
      value = { error: errorRepr(err) };
    }
    if (!request.reply_to) return undefined;
    const reply = (v: unknown) =>
      buildControlReply({
        nodename: this.target.hostname,
        value: v,
        replyTo: request.reply_to!,
        ticket: request.ticket,
        clock: this.mailboxClock.forward(),
      });
    try {
      return reply(value === undefined ? null : value);
    } catch (err) {
      // A custom command's value JSON cannot carry (a BigInt, a cycle): the caller gets told, not a silence.
      return reply({ error: pyExceptionRepr('EncodeError', `the reply to ${request.method} is not JSON: ${(err as Error).message}`) });
    }
  }

  private add(command: Command): void {
    this.commands.set(command.name, command);
    for (const alias of command.options.aliases ?? []) this.commands.set(alias, command);
  }
}
