/**
 * Python Celery 5 (Debian's python3-celery) as the reference peer: start a real `celery worker` on the fixture
 * app in test/fixtures/celery_app, run `celery inspect|control|events`, and run Python client snippets.
 *
 * Whether the peer is there is decided in one place, `usePythonCelery()`: without it a test file skips with a
 * note (and a skipped suite that says why, not vitest's "No test suite found"); with CAMQ_REQUIRE_PYTHON=1 (set by
 * .ci/run) a missing peer fails the file, naming what is missing. CAMQ_TEST_PYTHON names the python binary
 * (default /usr/bin/python3); point it at one without celery to see the rule work.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { whenExited } from './child-exit.js';
import { watchLog } from './process-log.js';

export const PYTHON = process.env['CAMQ_TEST_PYTHON'] || '/usr/bin/python3';
export const REQUIRE_PYTHON = process.env['CAMQ_REQUIRE_PYTHON'] === '1';
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/celery_app', import.meta.url));

const execFileAsync = promisify(execFile);

let probe: Promise<string | undefined> | undefined;

/** What is missing for the Python peer, or undefined when `PYTHON` imports celery (checked once per file). */
function pythonCeleryMissing(): Promise<string | undefined> {
  probe ??= (async () => {
    if (!existsSync(PYTHON)) return `there is no python at ${PYTHON}`;
    try {
      await execFileAsync(PYTHON, ['-c', 'import celery'], { timeout: 20_000 });
      return undefined;
    } catch {
      return `${PYTHON} cannot import celery`;
    }
  })();
  return probe;
}

/** The modules (name → Debian package) `PYTHON` cannot import, said as what to install, or undefined. */
async function pythonModulesMissing(modules: Readonly<Record<string, string>>): Promise<string | undefined> {
  const names = Object.keys(modules);
  if (names.length === 0) return undefined;
  const script = `import importlib\nfor n in ${JSON.stringify(names)}:\n  try: importlib.import_module(n)\n  except ImportError: print(n)`;
  const { stdout } = await execFileAsync(PYTHON, ['-c', script], { timeout: 20_000 });
  const lacking = stdout.split('\n').filter((n) => n !== '');
  if (lacking.length === 0) return undefined;
  return `${PYTHON} cannot import ${lacking.join(', ')}; install ${lacking.map((n) => modules[n]).join(' ')}`;
}

/**
 * The one rule for tests that need Python Celery: true when it is there. Otherwise, with CAMQ_REQUIRE_PYTHON=1,
 * throw (the file fails, naming what is missing); else print a note, register a skipped suite that says what
 * was skipped and why, and return false, so the caller skips its suites (`describe.skipIf(!ok)`, no targets).
 * `modules` (Python module → Debian package) are needed as well, under the same rule.
 */
export async function usePythonCelery(skipped: string, modules: Readonly<Record<string, string>> = {}): Promise<boolean> {
  const missingCelery = await pythonCeleryMissing();
  const missing = missingCelery ?? (await pythonModulesMissing(modules));
  if (missing === undefined) return true;
  const why =
    missingCelery === undefined
      ? `the Python peer lacks modules (${missing})`
      : `Python Celery is missing (${missing}; install python3-celery or set CAMQ_TEST_PYTHON to a python that has it)`;
  if (REQUIRE_PYTHON) throw new Error(`CAMQ_REQUIRE_PYTHON=1 but ${why}`);
  process.stderr.write(`note: ${why}; ${skipped}\n`);
  describe.skip(`${skipped}: ${why}`, () => {
    it('needs Python Celery', () => {});
  });
  return false;
}

export interface PythonWorkerOptions {
  readonly brokerUrl: string;
  /** `name@host`; `%h` is expanded by Celery. */
  readonly nodename: string;
  /** Queues to consume (comma-separated for Celery's -Q). */
  readonly queues: string;
  /** @defaultValue 2 */
  readonly concurrency?: number;
  /** Send task events (-E). @defaultValue false */
  readonly events?: boolean;
  readonly extraArgs?: readonly string[];
  /** The fixture module to load (`-A`): `quorum_tasks` for a quorum queue (quorum_tasks.py). @defaultValue tasks */
  readonly app?: string;
  /** Mingle at start-up (Celery's default; it waits 1 s for replies). @defaultValue false */
  readonly mingle?: boolean;
  /** More environment for the worker (the fixture app reads CAMQ_TEST_ACCEPT, CAMQ_TEST_RESULT_SERIALIZER). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface PythonWorker {
  readonly process: ChildProcess;
  /** Everything the worker logged so far. */
  output(): string;
  /** Resolve when `pattern` shows up in the log. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Warm shutdown (TERM) and wait for exit. */
  stop(): Promise<void>;
}

export async function startPythonWorker(options: PythonWorkerOptions): Promise<PythonWorker> {
  const args = [
    '-m',
    'celery',
    '-A',
    options.app ?? 'tasks',
    'worker',
    '-n',
    options.nodename,
    '-c',
    String(options.concurrency ?? 2),
    '-Q',
    options.queues,
    ...(options.mingle ? [] : ['--without-mingle']),
    '--without-gossip',
    '-l',
    'info',
    ...(options.events ? ['-E'] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(PYTHON, args, {
    cwd: FIXTURE_DIR,
    env: { ...process.env, ...options.env, CAMQ_TEST_BROKER_URL: options.brokerUrl, C_FORCE_ROOT: '1', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = whenExited(child);
  const log = watchLog(child, 'Python worker', exited);

  const worker: PythonWorker = {
    process: child,
    output: log.output,
    waitForLog: log.waitFor,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  await worker.waitForLog(/ ready\./);
  return worker;
}

/** Run `python3 -m celery -A tasks <args>` (inspect, control, events ...) against a broker; resolves with its output. */
export async function runCeleryCli(
  brokerUrl: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: Readonly<Record<string, string>> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(PYTHON, ['-m', 'celery', '-A', 'tasks', ...args], {
      cwd: FIXTURE_DIR,
      env: { ...process.env, ...options.env, CAMQ_TEST_BROKER_URL: brokerUrl, C_FORCE_ROOT: '1' },
      timeout: options.timeoutMs ?? 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Run a Python snippet with the fixture app importable (`from tasks import app, add`); resolves with stdout. */
export async function runPython(
  brokerUrl: string,
  code: string,
  options: { timeoutMs?: number; env?: Readonly<Record<string, string>> } = {},
): Promise<string> {
  const { stdout } = await execFileAsync(PYTHON, ['-c', code], {
    cwd: FIXTURE_DIR,
    env: { ...process.env, ...options.env, CAMQ_TEST_BROKER_URL: brokerUrl, PYTHONPATH: FIXTURE_DIR },
    timeout: options.timeoutMs ?? 60_000,
  });
  return stdout;
}

/** What the fixture's `tasks.record_then_fail` appends to $CAMQ_TEST_RECORD_FILE, one JSON line per run. */
export interface RecordedRun {
  readonly id: string;
  readonly argsrepr: string;
  readonly kwargsrepr: string;
  /** The `camq_retry_of` header: the task this run retries, null on a first run. */
  readonly retry_of: string | null;
}

/** The runs `tasks.record_then_fail` recorded in `file` so far, in order ([] before the first). */
export function recordedRuns(file: string): RecordedRun[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RecordedRun);
}

/** Wait (up to 20 s) for a run in `file` that `match` accepts, and return it. */
export function waitForRecordedRun(file: string, match: (r: RecordedRun) => boolean): Promise<RecordedRun> {
  return vi.waitFor(
    () => {
      const found = recordedRuns(file).find(match);
      expect(found).toBeDefined();
      return found!;
    },
    { timeout: 20_000, interval: 100 },
  );
}
