"""Python Celery 5.2 on a quorum queue for bench/quorum: bench/worker's task module (celery_bench: tasks.noop and its
count) with the queue declared quorum and the bootstep that turns global QoS off (test/fixtures/celery_app/quorum_qos.py,
the one docs/worker.md gives)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, '..', 'worker'), os.path.join(HERE, '..', '..', 'test', 'fixtures', 'celery_app')]

from celery_bench import app  # noqa: E402
from quorum_qos import use_quorum_queues  # noqa: E402

use_quorum_queues(app, os.environ['CAMQ_BENCH_QUORUM_QUEUES'].split(','))
