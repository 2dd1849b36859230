import { defineConfig } from 'vitest/config';

// Four projects, run one after another by `npm test`:
//   unit         no broker, no terminal; seconds.
//   integration  real brokers on loopback (RabbitMQ, the embedded broker) and Python Celery as a peer;
//                files run one at a time because they share RabbitMQ and its `celery` exchange (inside a file,
//                the two brokers' runs go side by side: see describeBrokers in test/helpers/brokers.ts).
//   e2e          the built binaries in a real terminal under tmux, on RabbitMQ or a `camq broker`.
//   fuzz         seeded property runs against the worker, the embedded broker and camqadm (test/fuzz/fuzz-seed.ts);
//                bounded to about a minute in all; scripts/fuzz.sh runs them longer.
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
          // Tests that start RabbitMQ nodes of their own (test/helpers/rabbitmq-node.ts, scripts/rabbitmq-cluster.sh):
          // one file at a time, each node under a temporary directory; the machine's node is never touched.
          name: 'cluster',
          include: ['test/cluster/**/*.cluster.test.{ts,tsx}'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
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
    ],
  },
});
