// A benchmark's consumer in a child process that reports its progress as JSON lines on stdout
// (`{"phase":"ready"}`, `{"phase":"done"}`, `{"phase":"result",...}`): bench/events and bench/journal run camq's
// consumer and Celery's python side by side with it.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export function startConsumer(label, command, args, cwd) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  // Pass the consumer's stderr on without terminal escapes (Ink restores the cursor on exit).

  child.stderr.on('data', (chunk) => process.stderr.write(chunk.toString().replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')));
  const lines = createInterface({ input: child.stdout });
  const waiters = new Map();
  const seen = new Map();
  lines.on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    seen.set(msg.phase, msg);
    waiters.get(msg.phase)?.(msg);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    label,
    child,
    exited,
    phase: (name, timeoutMs = 600_000) =>
      seen.has(name)
        ? Promise.resolve(seen.get(name))
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${label} did not reach ${name} within ${timeoutMs / 1000}s`)), timeoutMs);
            waiters.set(name, (m) => (clearTimeout(timer), resolve(m)));
            child.once('exit', (code) => reject(new Error(`${label} exited (${code}) before ${name}`)));
          }),
  };
}
