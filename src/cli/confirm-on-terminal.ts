import type { CliIO } from './cli-io.js';

/** A yes/no question on the terminal (asked on stderr, so stdout stays data): true for `y` or `yes`. */
export function confirmOnTerminal(io: CliIO): (question: string) => Promise<boolean> {
  return async (question) => {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: io.stdin, output: io.stderr });
    try {
      return /^\s*y(es)?\s*$/i.test(await rl.question(question));
    } finally {
      rl.close();
    }
  };
}
