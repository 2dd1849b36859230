import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventKey, eventKeyHash, journalDirectory, journalIdentity, openJournal, readJournal, type Journal } from '../../../src/journal/index.js';
import { describeWriteError } from '../../../src/journal/journal-writer.js';
import { listSegments } from '../../../src/journal/segment-files.js';
import type { EventEnvelope } from '../../../src/protocol/event-message.js';
import { parseBrokerUrl } from '../../../src/transport/broker-url.js';
import { scriptedEvent } from '../../fakes/event-script.js';

const dirs: string[] = [];
const open: Journal[] = [];
afterEach(() => {
  for (const j of open.splice(0)) j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'camq-journal-'));
  dirs.push(d);
  return d;
}

function journal(dir: string, options: Parameters<typeof openJournal>[0] = {}): Journal {
  const j = openJournal({ dir, flushIntervalMs: 60_000, ...options });
  open.push(j);
  return j;
}

const T0 = Math.floor(Date.now() / 1000) - 3600;
/** Event times in seconds are offsets from an hour ago (within every age bound). */
const taskEvent = (type: string, uuid: string, at: number, extra: Record<string, unknown> = {}): EventEnvelope =>
  scriptedEvent(type, 'w1@h', { uuid, pid: 1, ...extra }, (T0 + at) * 1000);

function lifecycle(uuid: string, at: number, name = 'tasks.add', fail = false): EventEnvelope[] {
  return [
    taskEvent('task-received', uuid, at, { name, args: '(1, 2)', kwargs: '{}' }),
    taskEvent('task-started', uuid, at + 0.001),
    fail
      ? taskEvent('task-failed', uuid, at + 0.002, { exception: "RuntimeError('kaboom')", traceback: 'Traceback ...' })
      : taskEvent('task-succeeded', uuid, at + 0.002, { result: '3', runtime: 0.001 }),
  ];
}

describe('journal', () => {
  it('writes events and reads them back in time order, folded into tasks', () => {
    const dir = tempDir();
    const j = journal(dir);
    expect(j.enabled).toBe(true);
    j.appendEvents([...lifecycle('b', 2000), ...lifecycle('a', 1000, 'tasks.fail', true)]);
    expect(j.flush()).toBe(true);
    const reader = readJournal(dir);
    const events = reader.events();
    expect(events.map((e) => e.type)).toEqual(['task-received', 'task-started', 'task-failed', 'task-received', 'task-started', 'task-succeeded']);
    const failed = reader.tasks({ state: 'failure' });
    expect(failed.map((t) => [t.uuid, t.name, t.exception])).toEqual([['a', 'tasks.fail', "RuntimeError('kaboom')"]]);
    expect(reader.tasks({ name: 'tasks.add' }).map((t) => [t.uuid, t.state, t.result])).toEqual([['b', 'SUCCESS', '3']]);
    expect(reader.tasks({ since: (T0 + 1500) * 1000 }).map((t) => t.uuid)).toEqual(['b']);
    expect(reader.tasks({ taskId: 'a' })).toHaveLength(1);
  });

  it('records task bodies and actions', () => {
    const dir = tempDir();
    const j = journal(dir);
    j.appendTaskBody({
      taskId: 't1',
      name: 'tasks.add',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      body: Buffer.from('[[1,2],{},{}]').toString('base64'),
      headers: { id: 't1', task: 'tasks.add' },
      properties: { correlation_id: 't1' },
      exchange: '',
      routingKey: 'celery',
    });
    j.appendAction({ who: 'ann@ops', what: 'revoke', when: 5000, target: 't1', args: { terminate: true }, replies: [{ w1: { ok: 'revoked' } }] });
    j.flush();
    const reader = readJournal(dir);
    expect(Buffer.from(reader.taskBody('t1')!.body, 'base64').toString()).toBe('[[1,2],{},{}]');
    expect(reader.actions()).toEqual([
      { who: 'ann@ops', what: 'revoke', when: 5000, target: 't1', args: { terminate: true }, replies: [{ w1: { ok: 'revoked' } }] },
    ]);
    expect(reader.entries({ kinds: ['action'] })).toHaveLength(1);
  });

  it('skips a torn last batch with one warning and keeps everything before it', () => {
    const dir = tempDir();
    const j = journal(dir);
    j.appendEvents(lifecycle('a', 1000));
    j.flush();
    const [seg] = listSegments(dir);
    const whole = statSync(seg!.path).size;
    j.appendEvents(lifecycle('b', 2000));
    j.close();
    // A writer killed mid-write: the last batch (one flush) cut short.
    truncateSync(seg!.path, statSync(seg!.path).size - 40);
    const warnings: string[] = [];
    const reader = readJournal(dir, (line) => warnings.push(line));
    expect(reader.events().map((e) => (e as unknown as { uuid: string }).uuid)).toEqual(['a', 'a', 'a']);
    reader.events();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/torn record/);
    // Garbage after the good records (a CRC that does not match) is torn too.
    truncateSync(seg!.path, whole);
    appendFileSync(seg!.path, Buffer.alloc(60, 7));
    expect(readJournal(dir).events()).toHaveLength(3);
  });

  it("a dead writer's torn segment is sealed by the next writer: cut, indexed, warned once", () => {
    const dir = tempDir();
    const j = journal(dir);
    j.appendEvents(lifecycle('a', 1000));
    j.flush();
    const [seg] = listSegments(dir);
    const content = readFileSync(seg!.path);
    j.close();
    rmSync(seg!.path);
    rmSync(`${seg!.path}.idx`);
    // The same records written by another process that died mid-write: a pid that cannot be alive, a torn tail.
    const deadPath = seg!.path.replace(`.${process.pid}.`, '.999999999.');
    writeFileSync(deadPath, Buffer.concat([content, Buffer.from([200, 0, 0, 0, 1, 2, 3])]));
    const warnings: string[] = [];
    journal(dir, { warn: (line) => warnings.push(line) });
    expect(warnings).toEqual([expect.stringMatching(/torn record .* 7 bytes were skipped/)]);
    const sealed = listSegments(dir).find((s) => s.path === deadPath)!;
    expect(sealed.index?.events).toBe(3);
    // Its batch table covers what was kept: a range read of the sealed segment finds the records.
    expect(sealed.index?.batches).toEqual([{ offset: 0, bytes: content.length, firstTime: (T0 + 1000) * 1000, lastTime: (T0 + 1000.002) * 1000 }]);
    expect(readJournal(dir).events({ since: (T0 + 1000.001) * 1000 })).toHaveLength(2);
    const later: string[] = [];
    expect(readJournal(dir, (line) => later.push(line)).events()).toHaveLength(3);
    expect(later).toEqual([]);
  });

  it('two writers on one journal: each event once for readers', () => {
    const dir = tempDir();
    const a = journal(dir);
    const b = journal(dir);
    const events = [...lifecycle('x', 1000), ...lifecycle('y', 1001)];
    // Each writer saw the same events from its own queue (so its own local_received, and its own task-sent clock).
    a.appendEvents(events.map((e) => ({ ...e, local_received: T0 + 5000 })));
    b.appendEvents(events.map((e) => ({ ...e, local_received: T0 + 5000.5 })));
    const sentA = { ...taskEvent('task-sent', 'z', 1002), clock: 7 };
    const sentB = { ...sentA, clock: 99 };
    a.appendEvents([sentA]);
    b.appendEvents([sentB]);
    a.flush();
    b.flush();
    expect(listSegments(dir)).toHaveLength(2);
    expect(readJournal(dir).events()).toHaveLength(7);
    expect(eventKey(sentA)).toBe(eventKey(sentB));
    expect(eventKeyHash(sentA)).toBe(eventKeyHash(sentB));
    expect(eventKeyHash(sentA)).not.toBe(eventKeyHash({ ...sentA, timestamp: sentA.timestamp + 1e-6 }));
    expect(eventKeyHash(events[0]!)).not.toBe(eventKeyHash({ ...events[0]!, uuid: 'other' } as EventEnvelope));
    expect(readJournal(dir).summary()).toMatchObject({ tasks: 3 });
  });

  it('a writer skips records it wrote recently, and those a primed restart finds on disk', () => {
    const dir = tempDir();
    const a = journal(dir);
    a.appendEvents(lifecycle('a', 1000));
    a.appendEvents(lifecycle('a', 1000));
    expect(a.stats).toEqual({ appended: 3, duplicates: 3 });
    a.close();
    const restarted = journal(dir);
    expect(restarted.primeDedup(0)).toBe(3);
    restarted.appendEvents([...lifecycle('a', 1000), ...lifecycle('b', 1000)]);
    expect(restarted.stats).toEqual({ appended: 3, duplicates: 3 });
  });

  it('copies failed tasks into fail segments, kept longer than the rest', () => {
    const dir = tempDir();
    let now = Date.now();
    const day = 86_400_000;
    const j = journal(dir, { now: () => now, maxAgeMs: 2 * day, failureMaxAgeMs: 10 * day, segmentAgeMs: 1000 });
    j.appendEvents([...lifecycle('ok', 1000), ...lifecycle('bad', 1000, 'tasks.fail', true)]);
    j.appendAction({ who: 'ann@ops', what: 'purge', when: now - 1000, target: 'celery' });
    j.flush();
    j.close();
    expect(
      listSegments(dir)
        .map((s) => s.kind)
        .sort(),
    ).toEqual(['ev', 'fail']);
    for (const s of listSegments(dir)) utimesSync(s.path, (now + 3 * day) / 1000, (now + 3 * day) / 1000);
    now += 5 * day;
    // A new writer prunes at open: the ev segment is past 2 days, the fail one is kept.
    journal(dir, { now: () => now, maxAgeMs: 2 * day, failureMaxAgeMs: 10 * day, segmentAgeMs: 1000 });
    expect(
      listSegments(dir)
        .filter((s) => s.bytes > 0)
        .map((s) => s.kind),
    ).toEqual(['fail']);
    const reader = readJournal(dir);
    expect(reader.tasks().map((t) => [t.uuid, t.name, t.state])).toEqual([['bad', 'tasks.fail', 'FAILURE']]);
    expect(reader.actions().map((a) => a.what)).toEqual(['purge']);
  });

  it('drops the oldest segments first when over the size bound, failures last', () => {
    const dir = tempDir();
    let now = Date.now();
    const limits = { maxBytes: 6000, segmentBytes: 1500, now: () => now, segmentAgeMs: 60_000 };
    const j = journal(dir, limits);
    j.appendEvents(lifecycle('f0', 1, 'tasks.fail', true));
    j.flush();
    for (let i = 0; i < 40; i++) {
      now += 1000;
      j.appendEvents(lifecycle(`t${i}`, i));
      j.flush();
    }
    j.close();
    const total = listSegments(dir).reduce((n, s) => n + s.bytes, 0);
    expect(total).toBeLessThanOrEqual(6000 + 1500);
    const reader = readJournal(dir);
    const ids = reader.tasks().map((t) => t.uuid);
    expect(ids).toContain('f0');
    expect(ids).toContain('t39');
    expect(ids).not.toContain('t0');
  });

  it('summary and recent events come from the segment indexes', () => {
    const dir = tempDir();
    const j = journal(dir, { segmentBytes: 2000 });
    for (let i = 0; i < 30; i++) {
      j.appendEvents(lifecycle(`t${i}`, 1000 + i));
      j.flush();
    }
    j.close();
    const reader = readJournal(dir);
    expect(reader.summary()).toMatchObject({ since: (T0 + 1000) * 1000, tasks: 30, events: 90 });
    const recent = reader.recentEvents(5);
    const ids = new Set(recent.map((e) => (e as unknown as { uuid: string }).uuid));
    expect(ids.size).toBeGreaterThanOrEqual(5);
    expect(ids.size).toBeLessThan(30);
    expect(ids.has('t29')).toBe(true);
  });

  it("a closed segment's batch table: a range read reads only the batches it needs; a version 1 index still reads", () => {
    const dir = tempDir();
    const j = journal(dir);
    // Ten flushes of ~300 KB: the index merges them into spans of about 1 MB.
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 10; i++) {
      j.appendEvents(lifecycle(`t${i}`, 1000 + i * 10, 'tasks.add').map((e) => ({ ...e, args: big })));
      j.flush();
    }
    j.close();
    const [seg] = listSegments(dir);
    const batches = seg!.index!.batches!;
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.length).toBeLessThan(10);
    // Break the first batch: a whole-segment read stops there, a read of the last tasks never reaches it.
    const bytes = readFileSync(seg!.path);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(seg!.path, bytes);
    const since = (T0 + 1085) * 1000;
    const uuids = (events: EventEnvelope[]) => [...new Set(events.map((e) => (e as unknown as { uuid: string }).uuid))];
    expect(uuids(readJournal(dir).events({ since }))).toEqual(['t9']);
    expect(readJournal(dir).events()).toEqual([]);
    // A version 1 index (one JSON object, no batch table): listed with its task ids, the segment read whole.
    const v1 = {
      version: 1,
      records: 30,
      events: 30,
      bytes: bytes.length,
      firstTime: (T0 + 1000) * 1000,
      lastTime: (T0 + 1090) * 1000,
      taskIds: ['t0', 't9'],
    };
    writeFileSync(`${seg!.path}.idx`, JSON.stringify(v1));
    const index = listSegments(dir)[0]!.index;
    expect(index).toMatchObject({ version: 1, taskIds: ['t0', 't9'] });
    expect(index!.batches).toBeUndefined();
    expect(readJournal(dir).events({ since })).toEqual([]);
  });

  it('a directory it cannot write gives a disabled journal with one line, and appends do nothing', () => {
    const parent = tempDir();
    const blocker = join(parent, 'file');
    writeFileSync(blocker, 'x');
    const j = journal(join(blocker, 'journal'));
    expect(j.enabled).toBe(false);
    expect(j.disabledReason).toMatch(/^journal off: cannot write .*journal \(a file is in the way\); events are not recorded/);
    j.appendEvents(lifecycle('a', 1));
    expect(j.flush()).toBe(false);
    expect(readJournal(join(blocker, 'journal')).events()).toEqual([]);
    expect(describeWriteError(Object.assign(new Error('x'), { code: 'ENOSPC' }), '/d')).toMatch(/no space left/);
    expect(describeWriteError(Object.assign(new Error('x'), { code: 'EROFS' }), '/d')).toMatch(/read-only/);
  });

  it('names a journal by host, port and vhost, never by user or password', () => {
    const broker = { protocol: 'amqp' as const, hostname: 'Rabbit.example.com', port: 5672, vhost: '/prod', username: 'u', password: 'secret' };
    expect(journalIdentity(broker)).toBe('rabbit.example.com_5672_%2Fprod');
    expect(journalIdentity({ ...broker, vhost: '..' })).toBe('rabbit.example.com_5672_%2E.');
    expect(journalDirectory(broker, { env: { XDG_DATA_HOME: '/x' } })).toBe('/x/camq/rabbit.example.com_5672_%2Fprod');
    expect(journalDirectory(broker, { env: { HOME: '/home/u' } })).toBe('/home/u/.local/share/camq/rabbit.example.com_5672_%2Fprod');
    expect(journalDirectory(broker, { dir: '/j' })).toBe('/j');
    // A kombu URL list: the first host and vhost, never the rest of the list (with its password).
    for (const url of ['amqp://u:secret@a:5672/v;amqp://u:secret@b:5672/v', 'amqp://u:secret@a:5672/v;amqp://b//;amqp://c//']) {
      const identity = journalIdentity(parseBrokerUrl(url));
      expect(identity).toBe('a_5672_v');
      expect(identity).not.toContain('secret');
    }
    expect(readdirSync(tempDir())).toEqual([]);
  });
});
