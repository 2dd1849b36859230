import { describe, expect, it } from 'vitest';
import { completeLine } from '../../../src/shell/completer.js';

const names = { queues: ['testqueue', 'tasks', 'my queue'], exchanges: ['testexchange', 'celery'] };
const complete = (line: string) => completeLine(line, names);

describe('completeLine: command names (the old camqadm rules)', () => {
  it('completes a unique prefix with a trailing space', () => {
    expect(complete('queue.d')).toEqual({ candidates: ['queue.declare', 'queue.delete'], from: 0 });
    expect(complete('queue.pu')).toEqual({ candidates: ['queue.purge '], from: 0 });
    expect(complete('basic.g')).toEqual({ candidates: ['basic.get '], from: 0 });
  });

  it('reads _ as .', () => {
    expect(complete('queue_pu').candidates).toEqual(['queue.purge ']);
    expect(complete('exchange_de').candidates).toEqual(['exchange.declare', 'exchange.delete']);
  });

  it('falls back to the part after the dot', () => {
    expect(complete('del').candidates).toEqual(['exchange.delete', 'queue.delete']);
    expect(complete('pub').candidates).toEqual(['basic.publish ']);
  });

  it('lists every command for an empty line', () => {
    expect(complete('').candidates).toHaveLength(15);
  });

  it('offers nothing for an unknown word', () => {
    expect(complete('zzz').candidates).toEqual([]);
  });
});

describe('completeLine: arguments', () => {
  it('completes queue names seen in the session where a queue goes', () => {
    expect(complete('basic.get te')).toEqual({ candidates: ['testqueue '], from: 10 });
    expect(complete('queue.purge t').candidates).toEqual(['tasks', 'testqueue']);
    expect(complete('queue.bind testqueue ').candidates).toEqual(['celery', 'testexchange']);
  });

  it('completes exchange names where an exchange goes', () => {
    expect(complete('queue.bind testqueue testex')).toEqual({ candidates: ['testexchange '], from: 21 });
    expect(complete('basic.publish hello c').candidates).toEqual(['celery ']);
    expect(complete('exchange.delete ').candidates).toEqual(['celery', 'testexchange']);
  });

  it('quotes names that need it, keeping a quote the user opened', () => {
    expect(complete('basic.get my')).toEqual({ candidates: ["'my queue' "], from: 10 });
    expect(complete('basic.get "my')).toEqual({ candidates: ['"my queue" '], from: 10 });
  });

  it('completes exchange types, booleans and help topics', () => {
    expect(complete('exchange.declare ex t').candidates).toEqual(['topic ']);
    expect(complete('queue.declare q y').candidates).toEqual(['yes ']);
    expect(complete('queue.declare q ').candidates).toEqual(['no', 'yes']);
    expect(complete('help basic.r').candidates).toEqual(['basic.recover', 'basic.reject']);
  });

  it('offers basic.publish properties once a word is started after the message', () => {
    expect(complete('basic.publish hi celery celery con').candidates).toEqual(['content_encoding=', 'content_type=']);
    expect(complete('basic.publish hi celery celery hea').candidates).toEqual(['header.', 'headers=']);
    expect(complete('basic.publish hi celery celery yes prio').candidates).toEqual(['priority=']);
  });

  it('offers nothing past the last argument or after an unknown command', () => {
    expect(complete('queue.purge tasks ').candidates).toEqual([]);
    expect(complete('nope te').candidates).toEqual([]);
  });
});

describe('completeLine: basic.publish positions', () => {
  it('skips property words when counting positions', () => {
    expect(complete('basic.publish hi priority=1 testex').candidates).toEqual(['testexchange ']);
    expect(complete('basic.publish hi testexchange rk priority=1 y').candidates).toEqual(['yes ']);
  });
});
