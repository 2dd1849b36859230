import { defineConfig } from 'vitest/config';

// Four projects, run one after another by `npm test`, and a fifth of its own (`npm run test:cluster`):
//   unit         no broker, no terminal; seconds.
//   integration  real brokers on loopback (RabbitMQ, the embedded broker) and Python Celery as a peer;
//                files run one at a time because they share RabbitMQ and its `celery` exchange (inside a file,
//                the two brokers' runs go side by side: see describeBrokers in test/helpers/brokers.ts).
//   e2e          the built binaries in a real terminal under tmux, on RabbitMQ or a `camq broker`.
//   fuzz         seeded property runs against the worker, the embedded broker and camqadm (test/fuzz/fuzz-seed.ts);
//                bounded to about a minute in all; scripts/fuzz.sh runs them longer.
//   cluster      a real three-node RabbitMQ cluster on this machine (scripts/rabbitmq-cluster.sh, started once for
//                the run by test/helpers/rabbitmq-cluster.ts): failover, node kills, quorum queues; a few minutes.
// Both broker projects fail if they leave a queue or exchange behind on RabbitMQ (test/helpers/rabbitmq-hygiene.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.int.test.{ts,tsx}'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          globalSetup: ['test/helpers/rabbitmq-hygiene.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.{ts,tsx}'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 60_000,
          globalSetup: ['test/helpers/rabbitmq-hygiene.ts'],
        },
      },
      {
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.fuzz.test.{ts,tsx}'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
          globalSetup: ['test/helpers/rabbitmq-hygiene.ts'],
        },
      },
      {
        test: {
          // A three-node RabbitMQ cluster (scripts/rabbitmq-cluster.sh, started by the global setup) and single nodes
          // of the tests' own (test/helpers/rabbitmq-node.ts): one file at a time; the machine's node is never touched.
          name: 'cluster',
          include: ['test/cluster/**/*.cluster.test.{ts,tsx}'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          globalSetup: ['test/helpers/rabbitmq-cluster.ts'],
        },
      },
    ],
  },
});
