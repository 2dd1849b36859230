/**
 * A data directory of the test process's own for the binaries it starts (XDG_DATA_HOME): the live view and
 * `camq events` write a journal by default (docs/journal.md), and an e2e test must leave nothing in the user's
 * ~/.local/share. Made on first use, removed when the process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string | undefined;

export function scratchDataHome(): string {
  if (dir === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'camq-e2e-data-'));
    dir = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return dir;
}
