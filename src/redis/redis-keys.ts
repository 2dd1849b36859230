/**
 * The names kombu's Redis transport (5.2) gives its keys and pub/sub channels (docs/redis-protocol.md): pure
 * functions, so the names are tested against captured ones and the wire code never spells one out.
 */

/** kombu's `Channel.sep`: between a queue and its priority step, and between the fields of a binding member. */
export const SEP = '\x06\x16';

/** kombu's PRIORITY_STEPS: the lists a queue is split into; BRPOP serves them in this order (0 first). */
export const PRIORITY_STEPS = [0, 3, 6, 9] as const;

export const UNACKED_KEY = 'unacked';
export const UNACKED_INDEX_KEY = 'unacked_index';
export const UNACKED_MUTEX_KEY = 'unacked_mutex';
/** kombu's `unacked_mutex_expire`, seconds. */
export const UNACKED_MUTEX_EXPIRE_S = 300;
/** kombu's `visibility_timeout` default, seconds. */
export const DEFAULT_VISIBILITY_TIMEOUT_S = 3600;

/** The priority step a message of priority `priority` is stored under (clamped to 0–9, kombu's `priority()`). */
export function priorityStep(priority: number | undefined): number {
  const p = priority === undefined || !Number.isFinite(priority) ? 0 : Math.max(0, Math.min(9, Math.trunc(priority)));
  let step = 0;
  for (const s of PRIORITY_STEPS) if (s <= p) step = s;
  return step;
}

/** The list holding `queue`'s messages of one priority step (kombu's `_q_for_pri`): the queue itself for step 0. */
export function priorityList(queue: string, step: number): string {
  return step === 0 ? queue : `${queue}${SEP}${step}`;
}

/** Every list of a queue, in the order BRPOP serves them. */
export function queueLists(queue: string): string[] {
  return PRIORITY_STEPS.map((step) => priorityList(queue, step));
}

/** The queue a list belongs to (BRPOP names the list it popped from). */
export function queueOfList(list: string): string {
  const at = list.lastIndexOf(SEP);
  return at >= 0 && /^\d$/.test(list.slice(at + SEP.length)) ? list.slice(0, at) : list;
}

/** The set holding an exchange's bindings (kombu's `keyprefix_queue`). */
export function bindingSet(exchange: string): string {
  return `_kombu.binding.${exchange}`;
}

export interface BindingMember {
  readonly routingKey: string;
  /** kombu's topic regex of the routing key; empty for direct and fanout. */
  readonly pattern: string;
  readonly queue: string;
}

export function bindingMember(binding: BindingMember): string {
  return [binding.routingKey, binding.pattern, binding.queue].join(SEP);
}

/** A member of a binding set, or undefined when it does not have kombu's three fields. */
export function parseBindingMember(member: string): BindingMember | undefined {
  const parts = member.split(SEP);
  if (parts.length !== 3) return undefined;
  return { routingKey: parts[0]!, pattern: parts[1]!, queue: parts[2]! };
}

/** kombu's TopicExchange.key_to_pattern: `*` one word, `#` any words, anchored; the regex text as kombu stores it. */
export function topicPattern(routingKey: string): string {
  const words = routingKey.split('.').map((word) => {
    if (word === '*') return '.*?[^\\.]';
    if (word === '#') return '.*?';
    // kombu's escape_regex(rkey, '.#*'): every character but letters, digits and the white list gets a backslash.
    return word.replace(/[^\p{L}\p{N}#*.]/gu, (c) => `\\${c}`);
  });
  return `^${words.join('\\.')}$`;
}

const compiled = new Map<string, RegExp | null>();

/** Whether a topic binding's stored pattern matches a routing key (Python's re.match on the stored regex). */
export function topicMatches(pattern: string, routingKey: string): boolean {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      // No 'u' flag: Python's re accepts `\_` and `\-`, which unicode mode refuses.
      re = new RegExp(pattern);
    } catch {
      re = null;
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re !== null && re.test(routingKey);
}

export interface FanoutOptions {
  /** The database number: kombu's `keyprefix_fanout` is `/{db}.` when `fanout_prefix` is true. */
  readonly db: number;
  /** kombu's `fanout_prefix` (default true). */
  readonly fanoutPrefix: boolean;
  /** kombu's `fanout_patterns` (default true): the routing key is appended to the channel. */
  readonly fanoutPatterns: boolean;
}

/** The pub/sub channel a fanout message is PUBLISHed on (kombu's `_get_publish_topic`). */
export function fanoutTopic(exchange: string, routingKey: string, options: FanoutOptions): string {
  const prefix = options.fanoutPrefix ? `/${options.db}.` : '';
  return routingKey !== '' && options.fanoutPatterns ? `${prefix}${exchange}/${routingKey}` : `${prefix}${exchange}`;
}

/** The pattern a queue bound to a fanout exchange with `routingKey` PSUBSCRIBEs to (`#` becomes `*`). */
export function fanoutSubscription(exchange: string, routingKey: string, options: FanoutOptions): string {
  return fanoutTopic(exchange, routingKey.replace(/#/g, '*'), options);
}

/** The exchange a fanout channel name belongs to (kombu's `_receive`: drop `/{db}.`, cut at the first `/`). */
export function exchangeOfTopic(channel: string): string {
  const name = channel.startsWith('/') ? channel.slice(channel.indexOf('.') + 1) : channel;
  const slash = name.indexOf('/');
  return slash >= 0 ? name.slice(0, slash) : name;
}

/** Celery's Redis result backend key (never prefixed by global_keyprefix in 5.2). */
export function taskMetaKey(taskId: string): string {
  return `celery-task-meta-${taskId}`;
}
