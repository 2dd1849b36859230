"""Next-run figures from Python Celery 5.2's own schedules, for camq's crontab/interval unit tests.

Run: /usr/bin/python3 scripts/beat-celery-vectors.py > test/unit/beat/celery-schedule-vectors.json
Each case gives the schedule, the zone (Celery's timezone; enable_utc stays True), the last run and now as UTC epoch
seconds, and what Celery answers: remaining_estimate in seconds and is_due's (due, next).
"""
import json
import random
from datetime import datetime, timedelta

import pytz
from celery import Celery
from celery.schedules import crontab, schedule

random.seed(17)
ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo']
CRONS = [
    {}, {'minute': '*/15'}, {'minute': '0', 'hour': '*/3'}, {'minute': '30', 'hour': '2'}, {'minute': '0', 'hour': '0'},
    {'minute': '5', 'hour': '22-2'}, {'minute': '0', 'hour': '9', 'day_of_week': 'mon-fri'},
    {'minute': '0', 'hour': '0', 'day_of_week': 'sun'}, {'minute': '1,13,30-45,50-59/2'},
    {'minute': '0', 'hour': '0', 'day_of_month': '31'}, {'minute': '0', 'hour': '12', 'day_of_month': '29', 'month_of_year': '2'},
    {'minute': '0', 'hour': '0', 'day_of_month': '1', 'month_of_year': '*/3'},
    {'minute': '0', 'hour': '8', 'day_of_week': 'mon', 'day_of_month': '1-7'},
    {'minute': '0', 'hour': '0', 'day_of_month': '2-30/2'}, {'minute': '*', 'hour': '3', 'day_of_week': '6'},
    {'minute': '45', 'hour': '2,3'},
]
INTERVALS = [5, 30, 3600, 7200, 86400]
KEYS = {'minute': 'minute', 'hour': 'hour', 'day_of_week': 'dayOfWeek', 'day_of_month': 'dayOfMonth', 'month_of_year': 'monthOfYear'}

# DST instants (UTC) worth landing near: Berlin spring/fall 2026, New York spring/fall 2026, Lord Howe (30 min) 2026.
DST = [1774746000, 1792890000, 1772953200, 1793512800, 1775314800, 1791043200, 1709416800, 1740992400]

cases = []
for i in range(700):
    zone = random.choice(ZONES)
    app = Celery(set_as_current=False)
    app.conf.timezone = zone
    app.conf.enable_utc = True
    if random.random() < 0.35:
        center = random.choice(DST)
        last = center + random.randint(-2 * 86400, 2 * 86400)
    else:
        last = random.randint(1704067200, 1861920000)
    last += random.randint(0, 999) / 1000
    now = last + random.choice([0, random.uniform(0, 120), random.uniform(0, 7200), random.uniform(0, 5 * 86400), random.uniform(0, 70 * 86400)])
    now = round(now, 3)
    tz = app.timezone
    now_dt = datetime.fromtimestamp(now, tz=pytz.utc).astimezone(tz)
    last_dt = datetime.fromtimestamp(last, tz=pytz.utc).astimezone(tz)
    if random.random() < 0.25:
        every = random.choice(INTERVALS)
        s = schedule(timedelta(seconds=every), app=app, nowfun=lambda: now_dt)
        spec = {'every': every}
    else:
        fields = random.choice(CRONS)
        s = crontab(app=app, nowfun=lambda: now_dt, **fields)
        spec = {'crontab': {KEYS[k]: v for k, v in fields.items()}}
    rem = s.remaining_estimate(last_dt).total_seconds()
    due, nxt = s.is_due(last_dt)
    cases.append({'spec': spec, 'zone': zone, 'last': last, 'now': now, 'remaining': rem, 'due': bool(due), 'next': nxt})

print('[\n' + ',\n'.join(json.dumps(c) for c in cases) + '\n]')
