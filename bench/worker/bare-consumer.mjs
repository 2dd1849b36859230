// (a) and (a′), the ceilings: a bare amqplib consume-and-ack loop with the same prefetch as the camq worker, no
// decoding. Mode `each` acks every message as it arrives (the ceiling); mode `coalesced` acks the way the
// camq worker does: everything received in one turn of the event loop with one basic.ack(multiple=true).
import amqp from 'amqplib';

const [url, queue, prefetch, mode = 'each'] = process.argv.slice(2);
const conn = await amqp.connect(url);
const ch = await conn.createChannel();
await ch.prefetch(Number(prefetch), true);
const N = Number(process.env.BENCH_N ?? 20000);
let n = 0;
let first = 0;
let last;
const flush = () => {
  ch.ack(last, true);
  last = undefined;
};
await ch.consume(
  queue,
  (msg) => {
    if (!msg) return;
    if (mode === 'each') ch.ack(msg);
    else {
      if (!last) setImmediate(flush);
      last = msg;
    }
    if (n === 0) first = Date.now();
    if (++n === N) process.stderr.write(`BENCH ${first} ${Date.now()}\n`);
  },
  { noAck: false },
);
process.on('SIGTERM', () => conn.close().finally(() => process.exit(0)));
