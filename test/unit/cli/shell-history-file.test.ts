import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HISTORY_SIZE, HistoryFile } from '../../../src/cli/shell/history-file.js';

describe('HistoryFile', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'camq-history-'));
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('lives in $HOME/.camq_history', () => {
    expect(HistoryFile.forHome({ HOME: home }).path).toBe(join(home, '.camq_history'));
  });

  it('appends lines and loads them newest first, private to the user', () => {
    const history = HistoryFile.forHome({ HOME: home });
    expect(history.load()).toEqual([]);
    history.append('queue.declare q');
    history.append('basic.get q  ');
    history.append('   ');
    expect(readFileSync(history.path, 'utf8')).toBe('queue.declare q\nbasic.get q\n');
    expect(statSync(history.path).mode & 0o777).toBe(0o600);
    expect(HistoryFile.forHome({ HOME: home }).load()).toEqual(['basic.get q', 'queue.declare q']);
  });

  it('caps the file at HISTORY_SIZE lines, keeping the newest', () => {
    const path = join(home, '.camq_history');
    writeFileSync(path, Array.from({ length: HISTORY_SIZE + 50 }, (_, i) => `basic.ack ${i}`).join('\n') + '\n');
    const lines = new HistoryFile(path).load();
    expect(lines).toHaveLength(HISTORY_SIZE);
    expect(lines[0]).toBe(`basic.ack ${HISTORY_SIZE + 49}`);
    expect(lines.at(-1)).toBe('basic.ack 50');
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(HISTORY_SIZE);
  });

  it('costs only the history when the file cannot be written', () => {
    const history = new HistoryFile(join(home, 'missing-dir', '.camq_history'));
    expect(() => history.append('queue.declare q')).not.toThrow();
    expect(history.load()).toEqual([]);
  });
});
