/**
 * camq's and Celery's own housekeeping queues, which `camq queues` hides unless `--all` (and then lists apart):
 *
 * - `celeryev.<uuid>`: an event receiver's queue (`celery events`, Flower, camq's live view);
 * - `<nodename>.celery.pidbox`: a worker's remote-control mailbox;
 * - `<oid>.reply.celery.pidbox`: a control client's reply queue (celeryctl, `celery inspect`);
 * - `amq.gen-…`: a queue the broker named, as RPC clients' reply queues are.
 */
export function isHousekeepingQueue(name: string): boolean {
  return name.startsWith('celeryev.') || name.endsWith('.pidbox') || name.startsWith('amq.gen-');
}
