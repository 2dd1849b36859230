import type { ChalkInstance } from 'chalk';
import { formatOutcome, outcomeToJson, type TextLine, type Tone } from '../../shell/index.js';
import type { ShellOutcome } from '../../shell/index.js';
import { writeLine, type CliIO } from '../cli-io.js';
import { styleFor } from '../output/style.js';

/**
 * Writes shell output: results on stdout, errors and `-> ...` notices on stderr, colour only on a TTY. With
 * `--json`, each outcome is one JSON object on stdout instead (notices stay text on stderr).
 */
export class LinePrinter {
  private readonly styles: Record<TextLine['stream'], ChalkInstance>;

  constructor(
    private readonly io: CliIO,
    private readonly isJson: boolean,
  ) {
    this.styles = { out: styleFor(io, 'stdout'), err: styleFor(io, 'stderr') };
  }

  outcome(outcome: ShellOutcome): void {
    if (this.isJson) writeLine(this.io.stdout, JSON.stringify(outcomeToJson(outcome)));
    else this.lines(formatOutcome(outcome));
  }

  lines(lines: readonly TextLine[]): void {
    for (const line of lines) {
      const style = this.styles[line.stream];
      const paint = (text: string) => tint(style, line.tone)(text);
      const text = line.label === undefined ? paint(line.text) : `${paint(line.label)} ${line.text}`;
      writeLine(line.stream === 'out' ? this.io.stdout : this.io.stderr, text);
    }
  }

  /** A `-> ...` line on stderr. */
  notice(text: string, tone: Tone = 'notice'): void {
    this.lines([{ stream: 'err', tone, text: `-> ${text}` }]);
  }
}

function tint(style: ChalkInstance, tone: Tone): (text: string) => string {
  switch (tone) {
    case 'ok':
      return style.green.bold;
    case 'error':
      return style.red.bold;
    case 'notice':
    case 'plain':
      return (text) => text;
  }
}
