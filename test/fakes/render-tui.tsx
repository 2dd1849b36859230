/**
 * Render an Ink tree into a fake terminal of a given size (ink-testing-library's approach, with `columns` and
 * `rows` of our choosing and `resize`), for component tests of the live view. Frames are whole screens (debug mode).
 */
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import type { ReactElement } from 'react';

export class FakeStdout extends EventEmitter {
  readonly frames: string[] = [];
  isTTY = true;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export interface RenderedTui {
  readonly stdout: FakeStdout;
  /** The latest frame. */
  lastFrame(): string;
  /** Send keys (escape sequences for arrows: `\u001b[B` down, `\r` Enter, `\u001b` Escape, `\t` Tab). */
  press(keys: string): void;
  unmount(): void;
}

export const KEYS = { up: '\u001b[A', down: '\u001b[B', enter: '\r', escape: '\u001b', tab: '\t', backspace: '\u007f' } as const;

export function renderTui(tree: ReactElement, size: { columns: number; rows: number } = { columns: 100, rows: 30 }): RenderedTui {
  const stdout = new FakeStdout(size.columns, size.rows);
  const stdin = new FakeStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new FakeStdout(size.columns, size.rows) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    stdout,
    lastFrame: () => stdout.frames[stdout.frames.length - 1] ?? '',
    press: (keys) => stdin.write(keys),
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
  };
}

/** Drop ANSI escapes, for layout assertions. */
export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}
