"""The bench's task module for Python Celery (contender e): tasks.noop and tasks.add plus the same count the other
contenders keep (bench/worker/task-count.mjs), so every contender is timed the same way: from the first to the
BENCH_N-th run of a task, printed as `BENCH <first ms> <last ms>` on stderr, and `BENCH-OVER` once if a task runs
after that (a duplicate delivery).

Prefork children are forked from the main process after this module is imported, so a counter in shared memory
created here is seen by all of them (one lock per task: microseconds, next to Python's per-task cost).
The broker is CAMQ_BENCH_BROKER_URL: amqp:// or redis:// (kombu's Redis transport, python3-redis).
"""
import multiprocessing
import os
import sys
import time

from celery import Celery

N = int(os.environ.get('BENCH_N', '20000'))
_count = multiprocessing.Value('l', 0)
_first = multiprocessing.Value('d', 0.0)

app = Celery('camq_bench', broker=os.environ['CAMQ_BENCH_BROKER_URL'], backend=None)
app.conf.update(worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)


def _counted():
    now = time.time() * 1000
    with _count.get_lock():
        _count.value += 1
        n = _count.value
        if n == 1:
            _first.value = now
    if n == N:
        sys.stderr.write('BENCH %d %d\n' % (_first.value, now))
        sys.stderr.flush()
    elif n == N + 1:
        sys.stderr.write('BENCH-OVER\n')
        sys.stderr.flush()


@app.task(name='tasks.noop')
def noop():
    _counted()
    return None


@app.task(name='tasks.add')
def add(x, y):
    _counted()
    return x + y
