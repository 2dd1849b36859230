import { useEffect, useRef, useState } from 'react';
import type { Clock } from '../../util/clock.js';

/**
 * The injected clock's time, making sure the view renders at least once every `intervalMs`, so ages tick and
 * expired workers turn offline even when no event arrives. Renders caused by other things (new events) count: the
 * tick only fires when nothing else rendered for a whole interval, so an idle cluster costs about one render a
 * second, not one per tick plus one per heartbeat. Reads the clock at every render, so any render is up to date.
 */
export function useNow(clock: Clock, intervalMs = 1000): number {
  const [, setTick] = useState(0);
  const lastRender = useRef(0);
  const now = clock.now();
  lastRender.current = now;
  useEffect(() => {
    const check = Math.max(1, Math.floor(intervalMs / 4));
    const timer = clock.setInterval(() => {
      if (clock.now() - lastRender.current >= intervalMs) setTick((t) => t + 1);
    }, check);
    return () => timer.cancel();
  }, [clock, intervalMs]);
  return now;
}
