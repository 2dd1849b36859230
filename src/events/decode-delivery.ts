import { JSON_CONTENT_TYPE, type IncomingMessage } from '../protocol/amqp-message.js';
import { decodeEventMessage, type EventDecodeResult, type EventEnvelope } from '../protocol/event-message.js';
import type { LamportClock } from '../protocol/lamport-clock.js';

/**
 * The receiver's decode path, as a function: one delivery from `celeryev` → its events (one, or a task.multi
 * batch), each stamped with `local_received` (float Unix seconds) and its clock handled as Celery's
 * `event_from_message` does (docs/protocol.md, Events). Only JSON is accepted, as Celery accepts only `{json}` here.
 */
export function decodeDelivery(msg: IncomingMessage, receivedAt: number, lamport: LamportClock): EventDecodeResult {
  const contentType = msg.properties.contentType;
  if (contentType !== undefined && contentType !== JSON_CONTENT_TYPE) {
    return { ok: false, error: `refused an event with content type ${contentType} on ${msg.fields.routingKey}: only JSON is accepted` };
  }
  const decoded = decodeEventMessage(msg.content);
  if (!decoded.ok) return { ok: false, error: `${decoded.error} (routing key ${msg.fields.routingKey})` };
  const events = decoded.events;
  for (let i = 0; i < events.length; i++) stampEvent(events[i]!, receivedAt, lamport);
  return decoded;
}

/** Clock and receipt time for one freshly parsed event (stamped in place: nobody else holds it yet). */
function stampEvent(event: EventEnvelope, receivedAt: number, lamport: LamportClock): void {
  if (event.type === 'task-sent') {
    // Clients never sync their clocks, so a task-sent's clock is replaced by ours minus one.
    const clock = (lamport.value || 1) - 1;
    event.clock = clock;
    lamport.adjust(clock);
  } else if (typeof event.clock === 'number') {
    lamport.adjust(event.clock);
  } else {
    event.clock = lamport.forward();
  }
  event.local_received = receivedAt;
}
