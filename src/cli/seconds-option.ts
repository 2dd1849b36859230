import { InvalidArgumentError } from 'commander';

/** A duration option in seconds: above 0, at most a day (commander adds the option's name to the one line). */
export function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0 || seconds > 86_400)
    throw new InvalidArgumentError('expected a number of seconds above 0 (at most 86400).');
  return seconds;
}
