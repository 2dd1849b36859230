/**
 * Rate strings as `celery.utils.time.rate` reads them (docs/protocol.md, Remote control): a number means per second,
 * `N/s`, `N/m`,
 * `N/h`; N is a float. A falsy value (`0`, `''`, null) disables the limit.
 */
export type ParsedRate =
  { readonly ok: true; /** tokens per second; 0 means no limit */ readonly perSecond: number } | { readonly ok: false; readonly error: string };

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

export function parseRate(value: string | number | null | undefined): ParsedRate {
  if (value === null || value === undefined || value === '' || value === 0 || value === '0') return { ok: true, perSecond: 0 };
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? { ok: true, perSecond: value } : { ok: false, error: `invalid rate ${value}` };
  }
  const text = value.trim();
  const slash = text.indexOf('/');
  const numberText = slash >= 0 ? text.slice(0, slash) : text;
  const unit = slash >= 0 ? text.slice(slash + 1) : 's';
  if (!/^\d+(\.\d*)?$|^\.\d+$/.test(numberText)) {
    return { ok: false, error: `invalid rate '${text}': expected a number, N/s, N/m or N/h (e.g. 10/s)` };
  }
  const per = UNITS[unit];
  if (per === undefined) {
    return { ok: false, error: `invalid rate '${text}': unknown unit '${unit}'; use s, m or h (e.g. 10/m)` };
  }
  return { ok: true, perSecond: Number(numberText) / per };
}
