"""Celery's side of the benchmark: `app.events.Receiver` feeding Celery's own `events.State` (what `celery events`
and Flower run on), with the same limits camq uses (10,000 tasks). Prints JSON lines: ready, done, result."""
import json
import resource
import sys
import time

from celery import Celery
from celery.events.state import State

url, expected = sys.argv[1], int(sys.argv[2])
app = Celery('camq_bench', broker=url)
# No TTL for the benchmark: a consumer that falls behind must still see every event to count them.
app.conf.event_queue_ttl = 600.0


def say(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


state = State(max_tasks_in_memory=10000)
marks = {'seen': 0, 'start': None, 'done': None, 'idle': None}


class BenchReceiver(app.events.Receiver):
    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        say({'phase': 'ready'})
        super().on_consume_ready(connection, channel, consumers, **kwargs)


def on_event(event):
    if event['type'] == 'bench-stop':
        end = (cpu(), time.perf_counter())
        start, done, idle = marks['start'], marks['done'], marks['idle']
        busy_cpu = done[0] - start[0]
        busy_wall = done[1] - start[1]
        say({
            'phase': 'result',
            'events': marks['seen'],
            'cpuSeconds': busy_cpu,
            'wallSeconds': busy_wall,
            'eventsPerCpuSecond': marks['seen'] / busy_cpu,
            'tasksKept': len(state.tasks),
            'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            'idleCpuPercent': (end[0] - idle[0]) / (end[1] - idle[1]) * 100 if idle else None,
        })
        recv.should_stop = True
        return
    if marks['start'] is None:
        marks['start'] = (cpu(), time.perf_counter())
    state.event(event)
    marks['seen'] += 1
    if marks['seen'] == expected:
        marks['done'] = (cpu(), time.perf_counter())
        say({'phase': 'done'})
    elif marks['done'] and marks['idle'] is None and time.perf_counter() - marks['done'][1] > 1:
        marks['idle'] = (cpu(), time.perf_counter())


with app.connection_for_read() as conn:
    recv = BenchReceiver(conn, handlers={'*': on_event})
    recv.capture(limit=None, timeout=None, wakeup=True)
