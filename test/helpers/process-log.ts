import type { ChildProcess } from 'node:child_process';

/** A child process's stdout and stderr as one growing log, and a way to wait for a line in it. */
export interface ProcessLog {
  /** Everything logged so far. */
  output(): string;
  /** Resolve when `pattern` shows up; reject on timeout or when the process exits first, with the log so far. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** How many lines match `pattern`. */
  count(pattern: RegExp): number;
}

/** Watch `child`'s output (both pipes). `label` names it in errors: `camq worker`, `Python worker`. */
export function watchLog(child: ChildProcess, label: string, exited: Promise<number | null>): ProcessLog {
  let log = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    log += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(log)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    output: () => log,
    count: (pattern) => log.split('\n').filter((l) => pattern.test(l)).length,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(log)) return resolve();
        const timer = setTimeout(() => reject(new Error(`${label} did not log ${pattern} within ${timeoutMs} ms:\n${log}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${label} exited (${code}) before logging ${pattern}:\n${log}`));
        });
      }),
  };
}
