/** The options of `camq shell` and `camqadm`, as commander parses them (commands/shell.ts) and run-shell.ts reads them. */
export interface ShellCommandOptions {
  readonly broker?: string;
  readonly failover?: string;
  readonly json?: boolean;
  readonly keepGoing?: boolean;
  readonly readOnly?: boolean;
  /** `--journal DIR` or `--no-journal` (false): where the shell's actions are recorded. */
  readonly journal?: string | false;
}
