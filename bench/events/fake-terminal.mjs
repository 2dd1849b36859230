// A terminal for Ink with no screen behind it: sized stdout that counts what is written, a stdin that never types.
import { EventEmitter } from 'node:events';

export class FakeTerminal extends EventEmitter {
  isTTY = true;
  bytes = 0;
  constructor(columns = 120, rows = 40) {
    super();
    this.columns = columns;
    this.rows = rows;
  }
  write(chunk) {
    this.bytes += chunk.length;
    return true;
  }
}

export class FakeKeyboard extends EventEmitter {
  isTTY = true;
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null;
  }
}
