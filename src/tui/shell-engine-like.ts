/**
 * What the shell pane needs from the camqadm engine (src/shell): the app takes an object of this shape as a prop.
 * The pane owns the input line, its in-session history and the scrollback; the engine runs commands.
 */
export interface ShellResult {
  /** What the command printed (may span lines; may be empty). */
  readonly text: string;
  readonly isError: boolean;
}

export interface ShellEngineLike {
  /** Run one input line (`queue.declare foo`, `help`); never rejects for a broker error, which is a result. */
  execute(line: string): Promise<ShellResult>;
  /** Candidate replacements for the whole input line, for Tab. */
  complete(line: string): readonly string[];
  /** The prompt to show before the input, e.g. `1> `. */
  prompt(): string;
}
