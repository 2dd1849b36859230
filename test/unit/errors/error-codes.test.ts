/**
 * One list of error codes (src/errors/error-codes.ts): CamqError's constructor takes only its members, so the type
 * checker holds literal codes to it; these cover the codes made at run time (from AMQP reply codes and commander's
 * error codes), and a code listed but produced nowhere (as `broker.bad-url` once was).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commanderUsageError } from '../../../src/cli/usage-hint.js';
import { BrokerError, ERROR_CODES, isErrorCode, ReplyCode } from '../../../src/errors/index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(`${dir}/${entry.name}`) : /\.tsx?$/.test(entry.name) ? [`${dir}/${entry.name}`] : [],
  );
}

/** commander's error codes, as its own source names them. */
function commanderCodes(): string[] {
  const lib = join(ROOT, 'node_modules/commander/lib');
  const text = readdirSync(lib)
    .map((f) => readFileSync(join(lib, f), 'utf8'))
    .join('\n');
  return [...new Set([...text.matchAll(/'(commander\.[a-zA-Z]+)'/g)].map((m) => m[1]!))];
}

/** commander exits through these after printing help or the version: they never become a UsageError. */
const PRINTED = ['commander.help', 'commander.helpDisplayed', 'commander.version'];

describe('error codes', () => {
  it('are unique and shaped <area>.<what-went-wrong>', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES.filter((code) => !/^[a-z]+\.[a-z]+(-[a-z]+)*$/.test(code))).toEqual([]);
    expect(isErrorCode('broker.not-found')).toBe(true);
    expect(isErrorCode('broker.bad-url')).toBe(false);
  });

  it('a BrokerError has a listed code of its own for every AMQP reply code, and broker.error for another', () => {
    const codes = Object.values(ReplyCode).map((replyCode) => new BrokerError({ replyCode, replyText: 'X', isChannelError: true }).code);
    expect(codes.filter((code) => code === 'broker.error')).toEqual([]);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new BrokerError({ replyCode: 999, replyText: 'X', isChannelError: true }).code).toBe('broker.error');
  });

  it('every commander error a command can raise becomes a listed usage code of its own', () => {
    const codes = commanderCodes();
    expect(codes).toContain('commander.unknownOption');
    const command = new Command('x');
    const mapped = codes.filter((c) => !PRINTED.includes(c)).map((c) => commanderUsageError(new CommanderError(1, c, 'error: bad'), command).code);
    expect(mapped.filter((code) => code === 'usage.bad-argument')).toEqual([]);
    expect(commanderUsageError(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), command).code).toBe(
      'usage.unknown-option',
    );
  });

  it('every listed code is produced somewhere: written in src/, or made from a reply code or a commander code', () => {
    const text = sources('src')
      .filter((f) => !f.endsWith('error-codes.ts'))
      .map((f) => readFileSync(join(ROOT, f), 'utf8'))
      .join('\n');
    const made = new Set([
      ...Object.values(ReplyCode).map((replyCode) => new BrokerError({ replyCode, replyText: 'X', isChannelError: true }).code),
      ...commanderCodes()
        .filter((c) => !PRINTED.includes(c))
        .map((c) => commanderUsageError(new CommanderError(1, c, 'error: bad'), new Command('x')).code),
    ]);
    expect(ERROR_CODES.filter((code) => !made.has(code) && !text.includes(`'${code}'`))).toEqual([]);
  });
});
