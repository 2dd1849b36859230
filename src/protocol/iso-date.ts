/**
 * ISO 8601 dates as Celery writes and reads them (PROTOCOL.md §1.5, §7 trap 3).
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

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Parse to epoch milliseconds (with sub-millisecond precision), or undefined when the text is not a date. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fractionMs = frac ? Number(`0.${frac}`) * 1000 : 0;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (Number.isNaN(base) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 60) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMinutes = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? 0));
  }
  return base + fractionMs - offsetMinutes * 60_000;
}
