import { describe, expect, it } from 'vitest';
import { LamportClock } from '../../../src/protocol/index.js';
import { createLogger } from '../../../src/util/logger.js';
import { mingle, revokedMapFrom, type HelloCall } from '../../../src/worker/mingle.js';
import { RevokedSet } from '../../../src/worker/revoked-set.js';

/** A `hello` broadcast that gets these replies and records what was asked. */
function clientAnswering(replies: [string, unknown][]) {
  const calls: { method: string; args: Record<string, unknown>; timeout: number | undefined }[] = [];
  const client: HelloCall = async (method, args, options) => {
    calls.push({ method, args, timeout: options.timeout });
    return { replies: new Map(replies) };
  };
  return { client, calls };
}

function target(now = 1_700_000_000_000) {
  const lines: string[] = [];
  let saved = 0;
  return {
    hostname: 'me@host',
    revoked: new RevokedSet({ now: () => now }),
    appClock: new LamportClock(),
    logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    revokedChanged: () => saved++,
    lines,
    saved: () => saved,
  };
}

describe('mingle', () => {
  it("asks hello with its revoked ids, takes the others' ids and the highest clock, and persists once", async () => {
    const t = target();
    t.revoked.add('mine');
    const { client, calls } = clientAnswering([
      ['w1@host', { revoked: { a: [12.5, 'a'], mine: [3.25, 'mine'] }, clock: 40 }],
      ['py@host', { revoked: { b: [7.000001, 'b'] }, clock: 90 }],
      ['me@host', null],
      ['broken@host', { error: "KeyError('hello')" }],
    ]);
    expect(await mingle(t, client)).toBe(2);
    expect(calls).toEqual([{ method: 'hello', args: { from_node: 'me@host', revoked: { mine: [1_700_000_000.000001, 'mine'] } }, timeout: 1 }]);
    expect(t.revoked.ids().sort()).toEqual(['a', 'b', 'mine']);
    expect(t.appClock.value).toBeGreaterThan(90);
    expect(t.saved()).toBe(1);
    expect(t.lines.join('\n')).toMatch(/mingle: searching for neighbors[\s\S]*mingle: sync with 2 nodes[\s\S]*mingle: sync complete/);
  });

  it('is all alone when nobody else answers, and writes nothing', async () => {
    const t = target();
    expect(await mingle(t, clientAnswering([]).client)).toBe(0);
    expect(t.lines.at(-1)).toContain('mingle: all alone');
    expect(t.saved()).toBe(0);
  });
});

describe('revokedMapFrom', () => {
  it('writes seconds that always carry a fraction, since Python 5.2 refuses integers', () => {
    const set = new RevokedSet({ now: () => 0 });
    set.add('whole', 5_000);
    set.add('part', 5_250);
    expect(JSON.stringify(revokedMapFrom(set))).toBe('{"whole":[5.000001,"whole"],"part":[5.25,"part"]}');
  });
});
