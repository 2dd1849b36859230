/**
 * Turning typed words into argument values, with Celery's rules: booleans are `strtobool` words
 * (yes/no, true/false, on/off, 1/0, any case); integers are plain decimal digits.
 */

const TRUE_WORDS = new Set(['yes', 'true', 'on', '1']);
const FALSE_WORDS = new Set(['no', 'false', 'off', '0']);

export const BOOLEAN_WORDS = 'yes/no, true/false, on/off or 1/0';

/** The boolean a word means, or undefined when it is not one of the boolean words. */
export function coerceBoolean(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** A non-negative decimal integer, or undefined. No signs, exponents, hex or fractions. */
export function coerceInteger(text: string): number | undefined {
  const word = text.trim();
  if (!/^\d+$/.test(word)) return undefined;
  const value = Number(word);
  return Number.isSafeInteger(value) ? value : undefined;
}
