// A bench cluster of simulated workers for bench/ctl-ping.mjs (CAMQ_BENCH_CLUSTER): `startCluster(url, n)` starts n
// simulated Celery 5.2 workers in this process (src/demo/worker-simulator.ts) and returns `{ nodenames, stop }`.
//
//   CAMQ_BENCH_CLUSTER=bench/worker-sim/cluster.mjs WORKERS=200 npm run bench:ctl
import { WorkerSimulator, simulatedNodeNames } from '../../dist/demo/worker-simulator.js';

export async function startCluster(url, workers) {
  const sim = new WorkerSimulator({ url, nodenames: simulatedNodeNames(workers, { tag: `b${process.pid}` }) });
  await sim.start();
  return { nodenames: sim.nodenames, stop: () => sim.stop() };
}
