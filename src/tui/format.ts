/**
 * Pure text helpers for fixed-width cells: every table row is pre-formatted to exact widths, so a frame is a few
 * Text nodes per line (cheap to lay out) and never wraps. Widths are terminal cells (text-width.ts): a CJK character
 * or an emoji counts two, and no cut falls inside a character.
 */
import { headToWidth, isPrintableAscii, padToWidth, tailToWidth, textWidth } from './text-width.js';

/** Control characters and newlines become visible single-width marks, so a cell is always one line. */
export function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '⏎').replace(/[\u0000-\u001f\u007f]/g, '·');
}

/** Cut to `width` cells, ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (textWidth(text) <= width) return text;
  return width === 1 ? '…' : headToWidth(text, width - 1) + '…';
}

/** Cut to `width` cells by dropping the middle (`amqp://guest:**@…:5672/prod`), for URLs and paths. */
export function truncateMiddle(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  if (width <= 2) return truncate(text, width);
  const head = headToWidth(text, Math.ceil((width - 1) / 2));
  return head + '…' + tailToWidth(text, width - 1 - textWidth(head));
}

/** Exactly `width` cells: cut or padded (right-aligned when `alignRight`). */
export function cell(text: string, width: number, alignRight = false): string {
  const line = oneLine(text);
  if (isPrintableAscii(line)) {
    // Most cells (task names, uuids, numbers): one cell a character, measured once.
    const t = line.length <= width ? line : width <= 0 ? '' : width === 1 ? '…' : line.slice(0, width - 1) + '…';
    return alignRight ? t.padStart(width) : t.padEnd(width);
  }
  const t = truncate(line, width);
  // A two-cell character that would straddle the edge is left out, so the cut can be one cell short: pad it.
  return padToWidth(t, width, alignRight);
}

export interface ColumnSpec {
  readonly min: number;
  /** @defaultValue min (a fixed column) */
  readonly max?: number;
  /** Share of the space left after every column got its min. @defaultValue 0 */
  readonly weight?: number;
}

/**
 * Widths for columns separated by one space, filling `total`: every column gets its min, the rest is shared by
 * weight up to each max. When even the mins do not fit, the last columns shrink first (down to 0).
 */
export function fitColumns(specs: readonly ColumnSpec[], total: number): number[] {
  const gaps = Math.max(0, specs.length - 1);
  const widths = specs.map((s) => s.min);
  let spare = total - gaps - widths.reduce((a, b) => a + b, 0);
  if (spare < 0) {
    for (let i = widths.length - 1; i >= 0 && spare < 0; i--) {
      const cut = Math.min(widths[i]!, -spare);
      widths[i]! -= cut;
      spare += cut;
    }
    return widths;
  }
  for (let round = 0; round < 4 && spare > 0; round++) {
    const open = specs
      .map((s, i) => ({ i, w: s.weight ?? 0, room: (s.max ?? (s.weight ? Infinity : s.min)) - widths[i]! }))
      .filter((c) => c.w > 0 && c.room > 0);
    const weights = open.reduce((a, c) => a + c.w, 0);
    if (weights === 0) break;
    let given = 0;
    for (const c of open) {
      const share = Math.min(c.room, Math.floor((spare * c.w) / weights));
      widths[c.i]! += share;
      given += share;
    }
    if (given === 0) {
      const first = open[0]!;
      widths[first.i]! += 1;
      given = 1;
    }
    spare -= given;
  }
  return widths;
}

/** `3s`, `2m05s`, `1h02m`, `3d4h`; `-` for unknown. */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** Below this age a worker counts as just heard from: its SEEN cell and the pane's summary hold still between heartbeats. */
export const FRESH_SEEN_SECONDS = 10;

/**
 * An age shown while it grows, coarse: `<10s`, then to the 10 s (`20s`), the minute (`3m`), as formatAge above an
 * hour. How long ago a worker was heard from (it heartbeats every 2 s) and how long a task has been running: to the
 * second, they changed on dozens of rows every second and redrew the view each second for nothing a user acts on;
 * these change at most every 10 s.
 */
export function formatCoarseAge(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.floor(seconds));
  if (s < FRESH_SEEN_SECONDS) return `<${FRESH_SEEN_SECONDS}s`;
  if (s < 60) return `${Math.floor(s / 10) * 10}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return formatAge(s);
}

/** A runtime in seconds: `312µs`, `45ms`, `1.20s`, `2m03s`. */
export function formatRuntime(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)}µs`;
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(2)}s`;
  return formatAge(seconds);
}

/**
 * A rate to two significant figures (`100/s`, `94/s`, `4.5/s`, `10k/s`): the header's event rate with 200 idle workers
 * heartbeating is 99.8, 100 or 100.2 from one second to the next, which formatRate would redraw every second.
 */
export function formatRoughRate(perSecond: number): string {
  if (perSecond < 10) return formatRate(perSecond);
  // Just under a power of ten reads as it (99.4 → 100), so a steady 100/s does not flicker between 99 and 100.
  const step = 10 ** (Math.floor(Math.log10(perSecond * 1.05)) - 1);
  const rounded = Math.round(perSecond / step) * step;
  return rounded < 100 ? `${rounded.toFixed(0)}/s` : formatRate(rounded);
}

/** `12.3/s`, `0.5/s`, `1.2k/s`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(0)}k/s`;
  if (perSecond >= 1000) return `${(perSecond / 1000).toFixed(1)}k/s`;
  if (perSecond >= 100) return `${perSecond.toFixed(0)}/s`;
  return `${perSecond.toFixed(1)}/s`;
}

export function formatLoad(loadavg: readonly number[] | undefined): string {
  return loadavg && loadavg.length > 0 ? loadavg.map((n) => (typeof n === 'number' ? n.toFixed(2) : '?')).join(' ') : '-';
}

const BARS = '▁▂▃▄▅▆▇█';

/** The last `width` values as a sparkline scaled to their maximum; zero is a space-like low bar. */
export function sparkline(values: readonly number[], width: number): string {
  const tail = values.slice(-width);
  const max = Math.max(0, ...tail);
  const line = tail.map((v) => (max === 0 || v <= 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))]!)).join('');
  return line.padStart(width);
}

/** `values` summed into `width` consecutive groups (all of them shown, coarser), or as they are when they fit. */
export function resample(values: readonly number[], width: number): number[] {
  if (values.length <= width || width <= 0) return [...values];
  const out = new Array<number>(width).fill(0);
  for (let i = 0; i < values.length; i++) out[Math.floor((i * width) / values.length)]! += values[i]!;
  return out;
}

/** Local wall-clock time of float Unix seconds: `19:05:24.020`. */
export function formatClockTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Hard-wrap text to `width`, keeping its own line breaks. */
export function wrapLines(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(1, width);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\t/g, '    ').replace(/[\u0000-\u001f\u007f]/g, '·');
    if (line.length === 0) out.push('');
    for (let rest = line; rest.length > 0;) {
      // At least one character a line, even one wider than the line (a two-cell character on a one-cell line).
      const head = headToWidth(rest, w) || [...rest][0]!;
      out.push(head);
      rest = rest.slice(head.length);
    }
  }
  return out;
}

/** Wrap text at spaces to lines of at most `width` characters (a word longer than that is cut hard). */
export function wrapWords(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (textWidth(candidate) <= w) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    line = word;
    while (textWidth(line) > w) {
      const head = headToWidth(line, w) || [...line][0]!;
      lines.push(head);
      line = line.slice(head.length);
    }
  }
  lines.push(line);
  return lines;
}

/** Where a pane is in its rows, for its title: `11–20 of 200` from the first row shown (0-based); '' when all fit. */
export function rangeText(first: number, height: number, total: number): string {
  if (total <= height) return '';
  return `${first + 1}–${Math.min(total, first + height)} of ${total}`;
}
