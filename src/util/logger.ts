/**
 * A small levelled logger with Celery's line format, so camq's worker logs read like a Python worker's:
 * `[2026-11-21 19:02:20,166: INFO/MainProcess] Task tasks.add[...] received`.
 */
export const LogLevels = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LogLevels)[number];

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  /** @defaultValue 'info' */
  readonly level?: LogLevel;
  /** Where lines go. @defaultValue process.stderr */
  readonly write?: (line: string) => void;
  /** The process label after the level. @defaultValue 'MainProcess' */
  readonly processName?: string;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

export function parseLogLevel(text: string): LogLevel | undefined {
  const lower = text.toLowerCase();
  if (lower === 'warn') return 'warning';
  if (lower === 'fatal') return 'critical';
  return (LogLevels as readonly string[]).includes(lower) ? (lower as LogLevel) : undefined;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-11-21 19:02:20,166` in local time, as Python's logging prints it. */
export function formatLogTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const threshold = LogLevels.indexOf(level);
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const processName = options.processName ?? 'MainProcess';
  const now = options.now ?? Date.now;
  const at = (lvl: LogLevel) => (message: string) => {
    if (LogLevels.indexOf(lvl) < threshold) return;
    write(`[${formatLogTime(now())}: ${lvl.toUpperCase()}/${processName}] ${message}`);
  };
  return {
    level,
    debug: at('debug'),
    info: at('info'),
    warning: at('warning'),
    error: at('error'),
    critical: at('critical'),
  };
}

/** A logger that drops everything; the default for engines used as a library. */
export const silentLogger: Logger = {
  level: 'critical',
  debug: () => {},
  info: () => {},
  warning: () => {},
  error: () => {},
  critical: () => {},
};
