/**
 * A one-line spinner with a count for operations that wait (progress on a TTY, quiet when piped). It
 * draws on stderr only when stderr is a terminal, so stdout stays data; `clear()` erases it before any output line
 * and before the program ends, so nothing of it is left on the screen.
 */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;
const ERASE_LINE = '\r\u001b[2K';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export class Progress {
  private text = '';
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private isDrawn = false;

  private constructor(private readonly stream: ProgressStream) {}

  /** A spinner on `stream` if it is a terminal; none (undefined) when it is piped or redirected. */
  static on(stream: ProgressStream): Progress | undefined {
    return stream.isTTY === true ? new Progress(stream) : undefined;
  }

  /** Show (or change) the text after the spinner; the spinner turns until `stop()`. */
  update(text: string): void {
    this.text = text;
    this.timer ??= setInterval(() => this.draw(), FRAME_MS).unref();
    this.draw();
  }

  /** Erase the line (before printing something else); the next frame draws it again. */
  clear(): void {
    if (!this.isDrawn) return;
    this.stream.write(ERASE_LINE);
    this.isDrawn = false;
  }

  /** Erase the line for good. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.stream.write(`${ERASE_LINE}${FRAMES[this.frame]} ${this.text}`);
    this.isDrawn = true;
  }
}
