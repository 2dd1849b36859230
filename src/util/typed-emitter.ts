import { EventEmitter } from 'node:events';

/**
 * An EventEmitter whose listeners cannot crash their owner: an exception thrown by a listener is re-emitted as
 * `'handler-error'` (amqplib's safe_emit) instead of unwinding into the engine that emitted.
 */
export class SafeEmitter<T extends Record<keyof T, unknown[]>> extends EventEmitter<T & { 'handler-error': [Error, string] }> {
  protected safeEmit<K extends keyof T & string>(event: K, ...args: T[K]): boolean {
    const emitter = this as unknown as EventEmitter;
    try {
      return emitter.emit(event, ...args);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (emitter.listenerCount('handler-error') > 0) emitter.emit('handler-error', error, event);
      return true;
    }
  }
}
