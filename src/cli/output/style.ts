import { Chalk, type ChalkInstance } from 'chalk';
import { useColor, type CliIO } from '../cli-io.js';

/** A chalk instance for one stream: colour on a TTY, none when piped or with NO_COLOR (docs/live-view.md). */
export function styleFor(io: CliIO, stream: 'stdout' | 'stderr' = 'stdout'): ChalkInstance {
  return new Chalk({ level: useColor(io, stream) ? 1 : 0 });
}
