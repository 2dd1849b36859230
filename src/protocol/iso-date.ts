/**
 * ISO 8601 dates as Celery writes and reads them (docs/protocol.md, Dates and Interoperability traps).
 *
 * Write: always six fraction digits and a `±HH:MM` offset (`2026-11-21T19:02:20.166000+00:00`), because Celery
 * reads the fraction as an integer number of microseconds: `.166` would be 166 µs to a Python worker.
 * Read: with or without a fraction, `Z` or `±HH:MM` or `±HHMM`; a naive value is UTC (Celery's default timezone).
 */

/** Format epoch milliseconds (fractional ms keep microseconds) with the given offset in minutes east of UTC. */
export function formatIsoDate(epochMs: number, offsetMinutes = 0): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.round((epochMs - wholeMs) * 1000);
  const shifted = new Date(wholeMs + offsetMinutes * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const fraction = p(shifted.getUTCMilliseconds() * 1000 + Math.min(999, micros), 6);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${p(shifted.getUTCFullYear(), 4)}-${p(shifted.getUTCMonth() + 1)}-${p(shifted.getUTCDate())}` +
    `T${p(shifted.getUTCHours())}:${p(shifted.getUTCMinutes())}:${p(shifted.getUTCSeconds())}.${fraction}` +
    `${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`
  );
}

const ISO_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Python's datetime range (MINYEAR..MAXYEAR): a date outside it cannot be a Celery ETA, and JavaScript cannot print it. */
export const MIN_DATE_MS = Date.parse('0001-01-01T00:00:00Z');
export const MAX_DATE_MS = Date.parse('9999-12-31T23:59:59.999Z');

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parse to epoch milliseconds (with sub-millisecond precision), or undefined when the text is not a date. As
 * strict as Python's `datetime`: no February 31st (JavaScript would roll it over to March), no month or day 0,
 * no year 0, no second 60, an offset under 24 hours with minutes under 60.
 */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const [frac, zone] = [m[7], m[8]];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const [zh, zmin] = [Number(zm[2]), Number(zm[3] ?? 0)];
    if (zh > 23 || zmin > 59) return undefined;
    offsetMinutes = (zm[1] === '-' ? -1 : 1) * (zh * 60 + zmin);
  }
  // Date.UTC maps years 0–99 to 1900–1999: set the full year explicitly.
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y);
  const fractionMs = frac ? Number(`0.${frac}`) * 1000 : 0;
  return date.getTime() + fractionMs - offsetMinutes * 60_000;
}
