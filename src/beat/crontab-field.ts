/**
 * Celery 5.2's crontab field parser (celery/schedules.py `crontab_parser` and `crontab._expand_cronspec`), to the
 * letter: `*`, `*\/15`, `1-5`, `1-5/2`, `1,3`, ranges that wrap (`22-2` hours), day names in any field (`mon-fri`;
 * only their first three letters count, as `weekday()` reads them), numbers, and lists of numbers. A field that
 * Celery refuses is refused here with the reason as one line.
 */
export type CronFieldSpec = string | number | readonly number[];

export type CronFieldName = 'minute' | 'hour' | 'dayOfWeek' | 'dayOfMonth' | 'monthOfYear';

/** Each field's size and first value (Celery's `max_` and `min_`), and how a user reads its range. */
export const CRON_FIELDS: Readonly<Record<CronFieldName, { readonly size: number; readonly min: number; readonly range: string }>> = {
  minute: { size: 60, min: 0, range: '0-59' },
  hour: { size: 24, min: 0, range: '0-23' },
  dayOfWeek: { size: 7, min: 0, range: '0-6, 0 = Sunday, or sun-sat' },
  dayOfMonth: { size: 31, min: 1, range: '1-31' },
  monthOfYear: { size: 12, min: 1, range: '1-12' },
};

/** Celery's `WEEKDAYS` (celery/utils/time.py): Sunday is 0. */
const WEEKDAYS: Readonly<Record<string, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/** Why a field was refused, without the field's name (the caller adds it). */
export class CronFieldError extends Error {}

// Python's re.match anchors at the start only; `\w` is a word character.
const RANGE_STEPS = /^(\w+?)-(\w+)\/(\w+)?/;
const RANGE = /^(\w+?)-(\w+)/;
const STAR_STEPS = /^\*\/(\w+)?/;
const STAR = /^\*$/;

/** The set of values a field matches, sorted; throws CronFieldError with Celery's reason. */
export function expandCronField(spec: CronFieldSpec, name: CronFieldName): number[] {
  const { size, min } = CRON_FIELDS[name];
  let values: Iterable<number>;
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec)) throw new CronFieldError(`${spec} is not a whole number`);
    values = [spec];
  } else if (typeof spec === 'string') {
    values = parseCronText(spec, size, min);
  } else if (Array.isArray(spec)) {
    for (const v of spec) if (!Number.isInteger(v)) throw new CronFieldError(`${String(v)} in the list is not a whole number`);
    values = spec;
  } else {
    throw new CronFieldError(`expected a string, a number or a list of numbers, got ${spec === null ? 'null' : typeof spec}`);
  }
  const set = new Set(values);
  for (const v of set) {
    if (v >= size + min || v < min) throw new CronFieldError(`${v} is out of range (valid range is ${min}-${size - 1 + min})`);
  }
  if (set.size === 0) throw new CronFieldError('it matches nothing');
  return [...set].sort((a, b) => a - b);
}

function parseCronText(spec: string, size: number, min: number): Set<number> {
  const acc = new Set<number>();
  for (const part of spec.split(',')) {
    if (!part) throw new CronFieldError(`empty part in '${spec}'`);
    for (const v of parsePart(part, size, min)) acc.add(v);
  }
  return acc;
}

function parsePart(part: string, size: number, min: number): number[] {
  let m = RANGE_STEPS.exec(part);
  if (m) {
    if (!m[3]) throw new CronFieldError(`empty step in '${part}'`);
    return everyNth(expandRange(m[1]!, m[2]!, size, min), step(m[3]));
  }
  m = RANGE.exec(part);
  if (m) return expandRange(m[1]!, m[2]!, size, min);
  m = STAR_STEPS.exec(part);
  if (m) {
    if (!m[1]) throw new CronFieldError(`empty step in '${part}'`);
    return everyNth(star(size, min), step(m[1]));
  }
  if (STAR.test(part)) return star(size, min);
  return [expandNumber(part, size, min)];
}

function star(size: number, min: number): number[] {
  return Array.from({ length: size }, (_, i) => min + i);
}

function everyNth(values: readonly number[], n: number): number[] {
  return values.filter((_, i) => i % n === 0);
}

function step(text: string): number {
  const n = pythonInt(text);
  if (n === undefined || n < 1) throw new CronFieldError(`step '${text}' is not a whole number above 0`);
  return n;
}

function expandRange(fromText: string, toText: string, size: number, min: number): number[] {
  const from = expandNumber(fromText, size, min);
  const to = expandNumber(toText, size, min);
  // A range that ends before it starts wraps around the field's end (hours 22-2: 22, 23, 0, 1, 2).
  if (to < from) return [...range(from, min + size), ...range(min, to + 1)];
  return range(from, to + 1);
}

function range(from: number, until: number): number[] {
  return Array.from({ length: Math.max(0, until - from) }, (_, i) => from + i);
}

function expandNumber(text: string, size: number, min: number): number {
  if (text.startsWith('-')) throw new CronFieldError('negative numbers are not supported');
  let n = pythonInt(text);
  if (n === undefined) {
    n = WEEKDAYS[text.slice(0, 3).toLowerCase()];
    if (n === undefined) throw new CronFieldError(`'${text}' is neither a number nor a day name`);
  }
  const max = min + size - 1;
  if (n > max) throw new CronFieldError(`${n} is above ${max}`);
  if (n < min) throw new CronFieldError(`${n} is below ${min}`);
  return n;
}

/** Python's `int(text)` for the digits crontab fields hold (surrounding spaces, a `+`, underscores between digits). */
function pythonInt(text: string): number | undefined {
  const m = /^\s*\+?(\d+(?:_\d+)*)\s*$/.exec(text);
  return m ? Number(m[1]!.replaceAll('_', '')) : undefined;
}
