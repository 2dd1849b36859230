import { CamqError } from '../errors/index.js';
import type { ReturnedMessage } from './shell-result.js';

/**
 * A `mandatory` publish that the broker handed back (basic.return, usually 312 NO_ROUTE): no queue took the
 * message. An error, so a script stops there: the message was not delivered anywhere.
 */
export class MessageReturnedError extends CamqError {
  readonly returned: ReturnedMessage;

  constructor(returned: ReturnedMessage) {
    const key = returned.routing_key === '' ? "''" : `'${returned.routing_key}'`;
    const where =
      returned.exchange === ''
        ? `the default exchange for routing key ${key} (no queue has that name)`
        : `exchange '${returned.exchange}' for routing key ${key}`;
    super('shell.message-returned', `${returned.reply_code} ${returned.reply_text} - the broker returned the message: no queue is bound to ${where}`);
    this.returned = returned;
  }
}
