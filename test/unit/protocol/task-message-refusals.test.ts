/**
 * What decodeTaskMessage refuses before a task runs (issue 9: items 1, 2, 5, 6): a bad embed, a nesting too deep to
 * walk, impossible dates and counts, a compressed body. Each refusal is one line that says what was wrong.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../../src/protocol/amqp-message.js';
import { parseIsoDate } from '../../../src/protocol/iso-date.js';
import { MAX_MESSAGE_DEPTH, nestsDeeperThan } from '../../../src/protocol/nesting-depth.js';
import { pyRepr, pyTupleRepr } from '../../../src/protocol/python-repr.js';
import { buildTaskMessage, decodeTaskMessage, signature, type TaskDecodeResult } from '../../../src/protocol/task-message.js';

function deep(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? { k: value } : [value];
  return value;
}

/** A task message as a producer would send it, then changed by `edit` (headers and the raw body). */
function received(edit: (headers: Record<string, unknown>, body: unknown[]) => string | void = () => {}): TaskDecodeResult {
  const built = buildTaskMessage({ name: 'tasks.add', args: [1, 2], id: 'id-1' });
  const headers = { ...(built.properties.headers as Record<string, unknown>) };
  const body = JSON.parse(built.content.toString()) as unknown[];
  const raw = edit(headers, body);
  const message: IncomingMessage = {
    content: Buffer.from(raw ?? JSON.stringify(body)),
    properties: { ...built.properties, headers: headers },
    fields: { exchange: '', routingKey: 'celery', redelivered: false, deliveryTag: 1 },
  };
  return decodeTaskMessage(message);
}

function refusal(result: TaskDecodeResult): { action: string; message: string } {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('accepted');
  expect(result.error.message).not.toContain('\n');
  return { action: result.error.action, message: result.error.message };
}

const embedWith = (embed: Record<string, unknown>) => (_h: Record<string, unknown>, body: unknown[]) => void (body[2] = embed);

describe('task message refusals', () => {
  it('accepts a normal message with a callback, a chain and an errback', () => {
    const sig = signature('tasks.add', [1], {}, { options: { countdown: 3, eta: '2026-01-01T00:00:00+00:00', queue: 'q' } });
    expect(received(embedWith({ callbacks: [sig], errbacks: [sig], chain: [sig], chord: null })).ok).toBe(true);
    expect(received(embedWith({})).ok).toBe(true);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['callbacks: [null]', { callbacks: [null] }, /callback 0 is null, not a signature dict/],
    ['chain: [null]', { chain: [null] }, /chain step 0 is null, not a signature dict/],
    ['errbacks: "x"', { errbacks: 'x' }, /embed errbacks is "x", not a list of signatures/],
    ['a callback without a task', { callbacks: [{ args: [] }] }, /callback 0 has no task name/],
    [
      'a callback eta that is not a date',
      { callbacks: [signature('t', [], {}, { options: { eta: 'garbage' } })] },
      /callback 0 \(t\) option eta 'garbage' is not a valid ISO 8601 date/,
    ],
    ['a callback countdown of 1e308', { callbacks: [signature('t', [], {}, { options: { countdown: 1e308 } })] }, /option countdown is 1e\+308/],
    ['a callback expires of 1e308', { callbacks: [signature('t', [], {}, { options: { expires: 1e308 } })] }, /option expires is 1e\+308/],
    [
      'a link inside a callback with args not a list',
      { callbacks: [signature('t', [], {}, { options: { link: { task: 'u', args: 5 } } })] },
      /option link 0 \(u\) has args that are not a list/,
    ],
    [
      'a group step that is null',
      { chain: [{ ...signature('celery.group'), subtask_type: 'group', kwargs: { tasks: [null] } }] },
      /group step 0 is null/,
    ],
  ])('refuses %s (reject, no requeue)', (_name, embed, line) => {
    const { action, message } = refusal(received(embedWith(embed)));
    expect(action).toBe('reject');
    expect(message).toMatch(/^Received invalid task message: /);
    expect(message).toMatch(line);
  });

  it('refuses a body or headers nested deeper than the limit; at the limit it is accepted', () => {
    expect(received((_h, body) => void (body[0] = [deep(MAX_MESSAGE_DEPTH - 2)])).ok).toBe(true);
    const tooDeep = refusal(received((_h, body) => void (body[0] = [deep(MAX_MESSAGE_DEPTH + 5)])));
    expect(tooDeep).toEqual({ action: 'ack', message: expect.stringMatching(/Can't decode message body: it nests more than 1000 levels deep/) });
    // 100 000 levels: measured without recursion, so the check itself cannot overflow.
    expect(refusal(received(() => '['.repeat(100_000) + ']'.repeat(100_000))).action).toBe('ack');
    expect(refusal(received((h) => void (h['x'] = deep(MAX_MESSAGE_DEPTH + 1)))).message).toMatch(/headers nest more than 1000 levels/);
    expect(nestsDeeperThan(deep(3), 3)).toBe(false);
    expect(nestsDeeperThan(deep(4), 3)).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['-1000000', -1_000_000, /retries -1000000 is not a whole number ≥ 0/],
    ['1.5', 1.5, /retries 1.5 is not a whole number/],
    ['"3"', '3', /retries "3" is not a whole number/],
  ])('refuses retries %s', (_name, retries, line) => {
    expect(refusal(received((h) => void (h['retries'] = retries))).message).toMatch(line);
  });

  it('refuses time limits that are not seconds ≥ 0', () => {
    expect(refusal(received((h) => void (h['timelimit'] = [-5, null]))).message).toMatch(/timelimit \[-5,null\] is not \[hard, soft\]/);
    expect(refusal(received((h) => void (h['timelimit'] = 'x'))).message).toMatch(/timelimit "x"/);
    const big = received((h) => void (h['timelimit'] = [1e10, null]));
    expect(big.ok && big.task.timeLimit.hard).toBe(1e10);
  });

  it.each(['2026-02-31T00:00:00', '2026-01-01T00:00:00+99:99', '0000-00-00T00:00:00', '2026-01-01T00:00:60', '0001-00-01T00:00:00'])(
    'refuses the ETA %s',
    (eta) => {
      expect(refusal(received((h) => void (h['eta'] = eta))).message).toBe(
        `Received invalid task message: invalid ETA value '${eta}': unable to parse date string '${eta}'`,
      );
    },
  );

  it('refuses a numeric ETA outside the years 1–9999 instead of scheduling an unprintable date', () => {
    expect(refusal(received((h) => void (h['eta'] = 1e300))).message).toMatch(/invalid ETA value 1e\+300/);
  });

  it('refuses a body compressed with lzma, which camq cannot read, saying what to send instead', () => {
    const { action, message } = refusal(received((h) => void (h['compression'] = 'application/x-lzma')));
    expect(action).toBe('reject');
    expect(message).toBe(
      "Received invalid task message: the body is compressed with lzma ('application/x-lzma'), which camq cannot read; send it with compression gzip, bzip2, brotli or zstd, or none",
    );
  });

  it('refuses an unknown compression instead of parsing the body', () => {
    const { action, message } = refusal(received((h) => void (h['compression'] = 'application/x-snappy')));
    expect(action).toBe('reject');
    expect(message).toBe(
      "Received invalid task message: unknown compression 'application/x-snappy'; camq reads gzip (application/x-gzip), bzip2 (application/x-bz2), brotli (application/x-brotli) and zstd (application/zstd)",
    );
  });
});

describe('parseIsoDate is as strict as Python datetime', () => {
  it('reads year 1 and year 9999 as themselves (Date.UTC would make year 1 into 1901)', () => {
    expect(parseIsoDate('0001-01-01T00:00:00Z')).toBe(Date.parse('0001-01-01T00:00:00Z'));
    expect(parseIsoDate('9999-12-31T23:59:59Z')).toBe(Date.parse('9999-12-31T23:59:59Z'));
    expect(parseIsoDate('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoDate('2026-01-01T00:00:00+23:59')).toBe(Date.UTC(2026, 0, 1) - (23 * 60 + 59) * 60_000);
  });

  it.each([
    '2026-02-29T00:00:00',
    '2026-04-31T00:00:00',
    '2026-00-10T00:00:00',
    '2026-01-00T00:00:00',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01T00:00:00-05:60',
  ])('refuses %s', (text) => expect(parseIsoDate(text)).toBeUndefined());
});

describe('pyRepr nests at most 100 levels, as reprlib marks deeper levels', () => {
  it('writes [...] and {...} past the limit, and never overflows', () => {
    expect(pyRepr([[[1]]], 2)).toBe('[[[...]]]');
    expect(pyRepr({ a: { b: 1 } }, 1)).toBe("{'a': {...}}");
    expect(pyRepr([[[]]], 2)).toBe('[[[]]]');
    const repr = pyRepr(deep(100_000));
    expect(repr.length).toBeLessThan(1000);
    expect(repr).toContain('...');
    expect(pyTupleRepr([deep(50_000)])).toMatch(/^\(\{'k': \[/);
  });
});
