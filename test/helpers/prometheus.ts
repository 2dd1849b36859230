/**
 * A real Prometheus (Debian's `prometheus` package, /usr/bin/prometheus) started by a test with its own config, data
 * directory and a free port, and promtool. Locally a missing Prometheus skips its tests with a note; with
 * CAMQ_REQUIRE_PROMETHEUS=1 (set by .ci/run) it fails them by name, like CAMQ_REQUIRE_RABBITMQ (brokers.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { whenExited } from './child-exit.js';

export const PROMETHEUS = process.env['CAMQ_TEST_PROMETHEUS'] || '/usr/bin/prometheus';
export const PROMTOOL = process.env['CAMQ_TEST_PROMTOOL'] || '/usr/bin/promtool';
export const REQUIRE_PROMETHEUS = process.env['CAMQ_REQUIRE_PROMETHEUS'] === '1';

function version(bin: string): Promise<string | undefined> {
  return new Promise((resolve) => execFile(bin, ['--version'], (err, stdout, stderr) => resolve(err ? undefined : `${stdout}${stderr}`)));
}

/** True when Prometheus and promtool run; else throw under CAMQ_REQUIRE_PROMETHEUS=1, or note and skip. */
export async function usePrometheus(skipped: string): Promise<boolean> {
  const bins = [PROMETHEUS, PROMTOOL];
  const found = await Promise.all(bins.map(version));
  const absent = bins.filter((_, i) => found[i] === undefined);
  if (absent.length === 0) return true;
  const why = `Prometheus is missing (${absent.join(', ')} does not run; apt-get install prometheus, see .ci/run)`;
  if (REQUIRE_PROMETHEUS) throw new Error(`CAMQ_REQUIRE_PROMETHEUS=1 but ${why}`);
  process.stderr.write(`note: ${why}; ${skipped}\n`);
  describe.skip(`${skipped}: ${why}`, () => {
    it('needs Prometheus', () => {});
  });
  return false;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface PrometheusServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** An instant query through the HTTP API: the result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Poll `query` until `accept` returns true for its result; resolves with that result, rejects with the last one. */
  waitFor(
    promql: string,
    accept: (result: { metric: Record<string, string>; value: [number, string] }[]) => boolean,
    timeoutMs?: number,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  output(): string;
  stop(): Promise<void>;
}

/** Start Prometheus scraping `targets` (host:port) every second under job `job`, with `extra` YAML under the job. */
export async function startPrometheus(targets: readonly string[], job = 'celery', extra = ''): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'camq-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    `  - job_name: ${job}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    extra,
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const child = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = whenExited(child);
  const url = `http://127.0.0.1:${port}`;
  const query: PrometheusServer['query'] = async (promql) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: never[] } };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error ?? res.status}`);
    return body.data!.result;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Prometheus did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    query,
    output: () => log,
    async waitFor(promql, accept, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let last: Awaited<ReturnType<typeof query>> = [];
      while (Date.now() < until) {
        last = await query(promql);
        if (accept(last)) return last;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`${promql} never gave what was expected; last: ${JSON.stringify(last)}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `promtool check metrics` on an exposition text: its exit code and its lint lines. */
export function promtoolCheckMetrics(text: string): Promise<{ code: number; lines: string[] }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, ['check', 'metrics'], (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, lines: `${stdout}${stderr}`.split('\n').filter((l) => l.trim() !== '') });
    });
    child.stdin!.end(text);
  });
}
