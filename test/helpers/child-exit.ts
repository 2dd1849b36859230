import type { ChildProcess } from 'node:child_process';

/**
 * Resolves with a child's exit code once what it wrote has been read too ('close'), so its output is complete when
 * a test looks at it after stopping it; at most a second after 'exit', since a pool's own children may hold its
 * pipes open longer.
 */
export function whenExited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      const timer = setTimeout(() => resolve(code), 1000);
      child.once('close', () => {
        clearTimeout(timer);
        resolve(code);
      });
    }),
  );
}
