import { InvalidArgumentError } from 'commander';

/** A count option: a whole number above 0 (commander adds the option's name to the one line). */
export function parsePositiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number above 0, got '${text}'`);
  return n;
}

/** A number option above 0 (seconds without a day's cap: see seconds-option.ts for that). */
export function parsePositiveNumber(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number above 0, got '${text}'`);
  return n;
}
