import { describe, expect, it } from 'vitest';
import { stackFrames, toPythonError } from '../../../src/worker/error-info.js';

describe('toPythonError', () => {
  it("keeps the task module's and camq's frames and drops Node's own", () => {
    const err = new RangeError('bad\nsecond line of the message');
    err.stack = [
      'RangeError: bad',
      'second line of the message',
      '    at add (file:///app/tasks.js:3:11)',
      '    at Pool.run (file:///app/node_modules/camq/dist/worker/pool.js:40:20)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at listOnTimeout (node:internal/timers:581:17)',
      '    at node:events:519:28',
      '    at async Promise.all (index 0)',
      '    at async Worker.execute (file:///app/node_modules/camq/dist/worker/worker.js:300:7)',
    ].join('\n');
    expect(toPythonError(err).traceback).toBe(
      [
        'Traceback (most recent call last):',
        '    at add (file:///app/tasks.js:3:11)',
        '    at Pool.run (file:///app/node_modules/camq/dist/worker/pool.js:40:20)',
        '    at async Promise.all (index 0)',
        '    at async Worker.execute (file:///app/node_modules/camq/dist/worker/worker.js:300:7)',
        'RangeError: bad',
        'second line of the message',
        '',
      ].join('\n'),
    );
  });

  it('a real error thrown from a timer keeps this file and no node: frame', async () => {
    const err = await new Promise<Error>((resolve) => setTimeout(() => resolve(new Error('from a timer'))));
    expect(err.stack).toContain('node:internal/timers');
    const frames = stackFrames(err.stack!);
    expect(frames).toContain('error-info.test.ts');
    expect(frames).not.toContain('node:');
  });
});
