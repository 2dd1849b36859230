import { UsageError } from '../errors/index.js';

/**
 * The zone a schedule is read in, as Celery picks it (`app.timezone`): the `timezone` setting when given, else UTC
 * when `enable_utc` (the default), else the system's local zone. Offsets come from Node's own ICU data (Intl), so
 * DST rules are the ones Node ships; no date library is needed for "what is the wall clock here at this instant".
 */
export interface ScheduleZone {
  /** An IANA name (`UTC`, `Europe/Berlin`). */
  readonly name: string;
  /** Milliseconds to add to an instant to get the wall clock there (UTC+2 is 7,200,000). */
  offsetAt(epochMs: number): number;
}

export interface ZoneSettings {
  /** Celery's `timezone`: an IANA name. @defaultValue undefined */
  readonly timezone?: string | undefined;
  /** Celery's `enable_utc`. @defaultValue true */
  readonly enableUtc?: boolean | undefined;
}

const zones = new Map<string, ScheduleZone>();

/** The zone Celery would use for these settings; a name Node does not know is one clear line. */
export function resolveZone(settings: ZoneSettings = {}): ScheduleZone {
  const name = settings.timezone || (settings.enableUtc === false ? systemZoneName() : 'UTC');
  return zoneNamed(name);
}

export function systemZoneName(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function zoneNamed(name: string): ScheduleZone {
  const known = zones.get(name);
  if (known) return known;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new UsageError(
      `unknown time zone '${name}' in the schedule's timezone; use an IANA name such as 'UTC' or 'Europe/Berlin'`,
      'usage.bad-schedule',
    );
  }
  const canonical = format.resolvedOptions().timeZone;
  const utc = canonical === 'UTC' || canonical === 'Etc/UTC';
  const zone: ScheduleZone = {
    name,
    offsetAt: utc
      ? () => 0
      : (epochMs) => {
          const whole = Math.floor(epochMs / 1000) * 1000;
          const parts: Record<string, number> = {};
          for (const part of format.formatToParts(whole)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
          const wall = Date.UTC(parts['year']!, parts['month']! - 1, parts['day'], parts['hour']! % 24, parts['minute'], parts['second']);
          return wall - whole;
        },
  };
  zones.set(name, zone);
  return zone;
}

/** The wall clock of an instant in a zone, as a Date whose UTC fields are the wall-clock fields. */
export function wallClock(zone: ScheduleZone, epochMs: number): Date {
  return new Date(epochMs + zone.offsetAt(epochMs));
}
