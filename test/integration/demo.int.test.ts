/**
 * `camq demo` end to end without a terminal: it starts the embedded broker, two real worker processes and the
 * traffic generator, prints the events it sees, and stops everything after --duration. Needs no RabbitMQ.
 */
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/run-bin.js';

describe('camq demo (no terminal)', () => {
  it('runs two workers on the embedded broker and shows traffic of every kind, then stops cleanly', async () => {
    const result = await runBin('camq', ['demo', '--port', '0', '--duration', '9', '--rate', '8'], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/camq demo on amqp:\/\/guest:\*\*@127\.0\.0\.1:\d+\/\/: no terminal for the live view/);
    expect(result.stdout).toMatch(/^demo1@\S+ \[.*\] started: active=0/m);
    expect(result.stdout).toMatch(/^demo2@\S+ \[.*\] started: active=0/m);
    expect(result.stdout).toMatch(/task succeeded: tasks\.add/);
    expect(result.stdout).toMatch(/task failed: tasks\.fail/);
    expect(result.stdout).toMatch(/task received: .* eta=\d{4}-/);
    expect(result.stderr).toMatch(/-> demo stopped; worker logs are in /);
    // Both workers said goodbye: warm shutdown reached them before the broker stopped.
    expect(result.stdout.match(/\] shutdown: /g)?.length ?? 0).toBe(2);
  });
});
