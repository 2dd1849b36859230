/**
 * Time-range navigation (docs/live-view.md, Time ranges): what the live view's `t` prompt accepts, how `[` and `]`
 * step a window, and how a window is named on screen. Pure functions of the text and an injected `now` (epoch ms);
 * times of day are the local time zone's, as the view shows them.
 */

/** A window of receipt times, epoch ms: `since` inclusive, `until` exclusive. */
export interface TimeWindow {
  readonly since: number;
  readonly until: number;
}

/** What `t` was answered with: a window, or back to following live. */
export type TimeRangeChoice = { readonly kind: 'live' } | { readonly kind: 'window'; readonly window: TimeWindow };

export type TimeRangeParse = { readonly ok: true; readonly choice: TimeRangeChoice } | { readonly ok: false; readonly error: string };

/** What `[` steps back by from live, and the window it shows then: the last 15 minutes. */
export const DEFAULT_STEP_MS = 15 * 60_000;

/** Examples named in every error, so a wrong answer says what works. */
export const TIME_RANGE_EXAMPLES = '14:00, 14:00..14:30, -1h, -30m..-10m, 2026-12-06T14:00, or empty for live';

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DAY_MS = 86_400_000;
const AGO = /^-?(\d+(?:\.\d+)?)([smhdw])$/;
const TIME_OF_DAY = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}/;

/** One end of a range: an instant, and for a bare date the day it names (so `2026-12-06` alone is that whole day). */
interface TimePoint {
  readonly at: number;
  /** The end of the day when the text was a date alone. */
  readonly dayEnd?: number | undefined;
  /** A time of day without a date: its day is chosen relative to now or to the other end. */
  readonly isTimeOfDay?: boolean;
}

/**
 * One instant: a duration ago (`30s`, `-15m`, `1h`, `2d`, `1w`), a time of day (`14:00`, `9:05:30`, today's, or
 * yesterday's when today's is still to come), or an ISO date or date-time (`2026-12-06`, `2026-12-06T14:00`,
 * `2026-12-06 14:00:00Z`, local time unless it names its zone). Undefined when the text is none of these.
 */
export function parseTimePoint(text: string, nowMs: number): number | undefined {
  return readPoint(text.trim(), nowMs)?.at;
}

function readPoint(text: string, nowMs: number): TimePoint | undefined {
  const ago = AGO.exec(text);
  if (ago) return { at: nowMs - Number(ago[1]) * UNITS[ago[2]!]! };
  const tod = TIME_OF_DAY.exec(text);
  if (tod) {
    const [h, m, s] = [Number(tod[1]), Number(tod[2]), Number(tod[3] ?? 0)];
    if (h > 23 || m > 59 || s > 59) return undefined;
    const now = new Date(nowMs);
    let at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), h, m, s).getTime();
    if (at > nowMs) at = shiftDays(at, -1);
    return { at, isTimeOfDay: true };
  }
  const date = DATE_ONLY.exec(text);
  if (date) {
    const [y, mo, d] = [Number(date[1]), Number(date[2]) - 1, Number(date[3])];
    const start = new Date(y, mo, d);
    if (start.getMonth() !== mo || start.getDate() !== d) return undefined;
    return { at: start.getTime(), dayEnd: new Date(y, mo, d + 1).getTime() };
  }
  if (DATE_TIME.test(text)) {
    const at = Date.parse(text.replace(' ', 'T'));
    return Number.isNaN(at) ? undefined : { at };
  }
  return undefined;
}

/** The same wall-clock time `days` days away (a day is not always 24 h across a DST change). */
function shiftDays(at: number, days: number): number {
  const d = new Date(at);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days, d.getHours(), d.getMinutes(), d.getSeconds()).getTime();
}

function bad(error: string): TimeRangeParse {
  return { ok: false, error: `${error}: try ${TIME_RANGE_EXAMPLES}` };
}

/**
 * The `t` prompt's answer: empty or `live` follows live again; `A..B` is the window from A to B; A alone (or `A..`)
 * is from A until now, except a bare date, which is that whole day. A and B are what parseTimePoint reads; a time
 * of day as B is the first such time after A (`23:00..01:00` crosses midnight). An error names what was wrong and
 * gives examples that work.
 */
export function parseTimeRange(text: string, nowMs: number): TimeRangeParse {
  const input = text.trim();
  if (input === '' || input.toLowerCase() === 'live' || input.toLowerCase() === 'now') return { ok: true, choice: { kind: 'live' } };
  const parts = input.split(/\s*(?:\.\.|–|—)\s*/);
  if (parts.length > 2) return bad(`'${input}' has more than one '..'`);
  const [from, to] = [parts[0]!, parts[1]];
  if (from === '') return bad(`'${input}' has no start`);
  const start = readPoint(from, nowMs);
  if (start === undefined) return bad(`'${from}' is not a time`);
  if (start.at >= nowMs) return bad(`${from} is in the future`);
  let until: number;
  if (to === undefined || to === '' || to.toLowerCase() === 'now') {
    until = to === undefined && start.dayEnd !== undefined ? Math.min(start.dayEnd, nowMs) : nowMs;
  } else {
    const end = readPoint(to, nowMs);
    if (end === undefined) return bad(`'${to}' is not a time`);
    until = end.dayEnd ?? end.at;
    if (end.isTimeOfDay === true) {
      // A time of day as the end: the first such time after the start.
      while (until <= start.at) until = shiftDays(until, 1);
      while (shiftDays(until, -1) > start.at) until = shiftDays(until, -1);
    }
    if (until <= start.at) return bad(`the end ${to} is not after the start ${from}`);
  }
  return { ok: true, choice: { kind: 'window', window: { since: start.at, until } } };
}

/**
 * `[` (back) and `]` (forward): the window moved by its own length. From live, `[` shows the last `defaultStepMs`;
 * `]` from live stays live. A window moved forward that would reach past now is live again (undefined).
 */
export function stepTimeRange(
  window: TimeWindow | undefined,
  direction: -1 | 1,
  nowMs: number,
  defaultStepMs: number = DEFAULT_STEP_MS,
): TimeWindow | undefined {
  if (window === undefined) return direction < 0 ? { since: nowMs - defaultStepMs, until: nowMs } : undefined;
  const length = Math.max(1000, window.until - window.since);
  const moved = { since: window.since + direction * length, until: window.until + direction * length };
  return moved.until > nowMs ? undefined : moved;
}

const pad = (n: number) => String(n).padStart(2, '0');

function dateText(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function timeText(d: Date, withSeconds: boolean): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
}

/**
 * `14:00–14:30`; seconds when either end has them; the date when the window is not within today
 * (`2026-12-05 23:00–01:00`, `2026-12-05 14:00–2026-12-06 14:00` when it spans more than a day).
 */
export function describeTimeRange(window: TimeWindow, nowMs: number): string {
  const a = new Date(window.since);
  const b = new Date(window.until);
  const withSeconds = a.getSeconds() !== 0 || b.getSeconds() !== 0;
  const today = dateText(new Date(nowMs));
  const sameDay = dateText(a) === dateText(b) || (window.until - window.since <= DAY_MS && b.getHours() + b.getMinutes() + b.getSeconds() === 0);
  const start = `${dateText(a) === today && sameDay ? '' : `${dateText(a)} `}${timeText(a, withSeconds)}`;
  const end = `${sameDay ? '' : `${dateText(b)} `}${timeText(b, withSeconds)}`;
  return `${start}–${end}`;
}
