// bench/worker/engine.mjs: the camq worker engine's own CPU cost per task, with no broker and no socket. Prebuilt
// tasks.noop messages (as amqplib would hand them over: a Buffer body and a decoded header table) are delivered to
// the worker through an in-memory channel, 128 per event-loop turn like a busy consumer; acks, results and events
// go to counters. Unlike bench/worker/run.mjs this hardly depends on the machine's load or on RabbitMQ, so it shows
// what a change to the engine costs or saves.
//
//   npm run build && node bench/worker/engine.mjs        # N=200000 per mode
import { buildTaskMessage } from '../../dist/protocol/index.js';
import { CamqApp, Worker } from '../../dist/worker/index.js';

const N = Number(process.env.BENCH_N ?? 200_000);
const PER_TURN = 128;

function returnThis() {
  return this;
}

class MemoryChannel {
  consumers = [];
  published = 0;
  acks = 0;
  publish() {
    this.published++;
    return true;
  }
  ack() {
    this.acks++;
  }
  reject() {}
  async prefetch() {}
  async assertExchange() {}
  async checkExchange() {}
  async assertQueue(queue) {
    return { queue, messageCount: 0, consumerCount: 0 };
  }
  async bindQueue() {}
  async consume(queue, onMessage) {
    this.consumers.push({ queue, onMessage });
    return { consumerTag: `ctag-${queue}` };
  }
  async cancel() {}
  async close() {}
}
// Events are subscribed to and never emitted here.
MemoryChannel.prototype.on = MemoryChannel.prototype.once = MemoryChannel.prototype.off = returnThis;

async function measure(taskEvents) {
  const channels = [];
  // The parts of a Transport (src/transport/transport.ts) the worker uses.
  const connection = {
    url: { protocol: 'amqp', hostname: 'memory', port: 5672, username: 'guest', vhost: '/', query: {}, masked: 'amqp://guest:**@memory:5672//' },
    masked: 'amqp://guest:**@memory:5672//',
    isOpen: true,
    serverProperties: {},
    async connect() {
      return this;
    },
    async addSetup(hook) {
      await hook(this);
    },
    removeSetup() {},
    async openChannel() {
      const channel = new MemoryChannel();
      channels.push(channel);
      return channel;
    },
    async whenOpen() {},
    async close() {},
    on: returnThis,
    once: returnThis,
    off: returnThis,
  };
  const app = new CamqApp();
  app.task('tasks.noop', () => null);
  const worker = new Worker({ app, broker: connection, hostname: 'bench@memory', concurrency: 64, queues: ['bench'], taskEvents });
  await worker.start();
  // The task queue's consumer (the mailbox is consumed too, and first: see the worker's bootsteps).
  const deliver = channels.flatMap((c) => c.consumers).find((c) => c.queue === 'bench').onMessage;
  const templates = Array.from({ length: 4096 }, () =>
    buildTaskMessage({ name: 'tasks.noop', queue: 'bench', ignoreResult: true, replyTo: 'bench-no-results' }),
  );
  let tag = 1;
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const run = async (n) => {
    for (let i = 0; i < n; i += PER_TURN) {
      for (let j = 0; j < PER_TURN; j++) {
        const m = templates[(i + j) & 4095];
        // a fresh body and header table per delivery, as amqplib decodes them
        deliver({
          content: Buffer.from(m.content),
          properties: { ...m.properties, headers: { ...m.properties.headers } },
          fields: { exchange: '', routingKey: 'bench', redelivered: false, deliveryTag: tag++, consumerTag: 'ctag-bench' },
        });
      }
      await turn();
    }
  };
  await run(20_000); // warm-up: let V8 optimize
  const published = channels.reduce((sum, c) => sum + c.published, 0);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await run(N);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - t0;
  const events = channels.reduce((sum, c) => sum + c.published, 0) - published;
  await worker.stop('cold');
  return { cpuUs: (used.user + used.system) / N, wallUs: (wall * 1000) / N, eventMessages: events };
}

console.log(`bench/worker/engine: ${N} tasks.noop through the worker engine, no broker (${PER_TURN} deliveries per event-loop turn)`);
for (const taskEvents of [false, true]) {
  const r = await measure(taskEvents);
  const batches = taskEvents ? `, ${r.eventMessages} task.multi messages (${((N * 3) / r.eventMessages).toFixed(1)} events each)` : '';
  console.log(
    `  events ${taskEvents ? 'on ' : 'off'}  ${r.cpuUs.toFixed(2).padStart(6)} µs CPU/task  ${r.wallUs.toFixed(2).padStart(6)} µs wall/task${batches}`,
  );
}
