import { describe, expect, it } from 'vitest';
import { isCommentOrBlank, quoteWord, quoteWordAs, scanLine, splitLine } from '../../../src/shell/tokenize.js';

// Expected words were produced by Python 3's shlex.split, which Celery's camqadm used.
const SHLEX_CASES: [string, string[]][] = [
  ['basic.publish "This is a message" testexchange testkey', ['basic.publish', 'This is a message', 'testexchange', 'testkey']],
  ['a"b c"d', ['ab cd']],
  ["'it''s'", ['its']],
  ['my\\ queue x', ['my queue', 'x']],
  ['"a\\"b\\\\c\\$d\\e"', ['a"b\\c\\$d\\e']],
  ["'a\\b'", ['a\\b']],
  ["x '' y", ['x', '', 'y']],
  ['queue.bind q ex #', ['queue.bind', 'q', 'ex', '#']],
  ['  lead   trail  ', ['lead', 'trail']],
  ['"it\'s"', ["it's"]],
  ['\'{"id": 1}\'', ['{"id": 1}']],
  ['a\\\\b', ['a\\b']],
  ['tab\there', ['tab', 'here']],
];

describe('splitLine', () => {
  it.each(SHLEX_CASES)('splits %j as shlex does', (line, words) => {
    expect(splitLine(line)).toEqual(words);
  });

  it('keeps a no-break space inside a word (shlex splits on space, tab, CR and LF only)', () => {
    expect(splitLine('q\u00a0x y')).toEqual(['q\u00a0x', 'y']);
  });

  it('refuses an unclosed quote, saying which one', () => {
    expect(() => splitLine('basic.publish "hello')).toThrow(/no closing double quote/);
    expect(() => splitLine("basic.publish 'hello")).toThrow(/no closing single quote/);
    expect(() => splitLine('basic.publish "a\\"')).toThrow(/no closing double quote/);
  });

  it('refuses a lone trailing backslash', () => {
    expect(() => splitLine('queue.declare q\\')).toThrow(/lone backslash/);
  });

  it('throws a usage error with a shell code', () => {
    try {
      splitLine('"');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'shell.syntax', exitCode: 1 });
    }
  });
});

describe('scanLine', () => {
  it('gives raw offsets and the opening quote of each word', () => {
    const scanned = scanLine(`queue.bind 'my q' ex`);
    expect(scanned.tokens).toEqual([
      { text: 'queue.bind', start: 0, end: 10, openingQuote: undefined },
      { text: 'my q', start: 11, end: 17, openingQuote: "'" },
      { text: 'ex', start: 18, end: 20, openingQuote: undefined },
    ]);
    expect(scanned.endsInWord).toBe(true);
    expect(scanned.unterminated).toBeUndefined();
  });

  it('reports a word still being typed inside an open quote', () => {
    const scanned = scanLine(`basic.get "my q`);
    expect(scanned.unterminated).toBe('"');
    expect(scanned.endsInWord).toBe(true);
    expect(scanned.tokens.at(-1)).toMatchObject({ text: 'my q', start: 10, openingQuote: '"' });
  });

  it('knows when the cursor is after a space (a new, empty word)', () => {
    expect(scanLine('basic.get ').endsInWord).toBe(false);
  });
});

describe('isCommentOrBlank', () => {
  it('skips blank lines and lines starting with #', () => {
    expect(isCommentOrBlank('')).toBe(true);
    expect(isCommentOrBlank('   \t')).toBe(true);
    expect(isCommentOrBlank('# set up the queues')).toBe(true);
    expect(isCommentOrBlank('   #indented comment')).toBe(true);
  });

  it('keeps commands whose arguments contain #', () => {
    expect(isCommentOrBlank('queue.bind q topic_ex #')).toBe(false);
  });
});

describe('quoteWord', () => {
  it.each(['plain', 'with space', "it's", '', 'a"b', 'back\\slash', '#', 'tab\there', '{"id": 1}'])(
    'writes %j so that splitLine reads it back',
    (word) => {
      expect(splitLine(quoteWord(word))).toEqual([word]);
      expect(splitLine(quoteWordAs(word, "'"))).toEqual([word]);
      expect(splitLine(quoteWordAs(word, '"'))).toEqual([word]);
    },
  );

  it('leaves safe words bare', () => {
    expect(quoteWord('celery.pidbox')).toBe('celery.pidbox');
    expect(quoteWord('w1@vm.celery.pidbox')).toBe('w1@vm.celery.pidbox');
    expect(quoteWord('my queue')).toBe("'my queue'");
  });
});
