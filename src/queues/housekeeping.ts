/**
 * camq's and Celery's own housekeeping queues, which `camq queues` hides unless `--all` (and then lists apart):
 *
 * - `celeryev.<uuid>`: an event receiver's queue (`celery events`, Flower, camq's live view);
 * - `<nodename>.celery.pidbox`: a worker's remote-control mailbox;
 * - `<oid>.reply.celery.pidbox`: a control client's reply queue (celeryctl, `celery inspect`);
 * - `amq.gen-…`: a queue the broker named, as RPC clients' reply queues are;
 * - a bare UUID: the reply queue of Celery's `rpc://` result backend (named after the client's oid), and camq's.
 */
export function isHousekeepingQueue(name: string): boolean {
  return name.startsWith('celeryev.') || name.endsWith('.pidbox') || name.startsWith('amq.gen-') || UUID.test(name);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
