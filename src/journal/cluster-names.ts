/**
 * A journal named by its cluster (issue 16, docs/journal.md "Clusters"): a recorder on `amqp://h1//;amqp://h2//`
 * and a live view on `amqp://h2//;amqp://h1//` write one journal, named after RabbitMQ's `cluster_name` (the
 * server property every node of a cluster sends, brokerIdentity), not after whichever URL came first.
 *
 * A tool learns the cluster's name only once connected, but `camq history` reads a journal without connecting. So
 * whoever connects with a URL list writes what it learned into `<root>/clusters.json` — each node's
 * `host:port/vhost` → the journal's directory name — and every tool, connected or not, looks the URL's nodes up
 * there first. A single URL that is not in the file keeps its own `<host>_<port>_<vhost>` journal, as before.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerIdentity } from '../transport/broker-identity.js';
import { nodesOf, type BrokerUrl } from '../transport/broker-url.js';
import { journalDirectory, journalRoot } from './journal-location.js';

export const CLUSTER_NAMES_FILE = 'clusters.json';

type Env = Readonly<Record<string, string | undefined>>;

interface ClusterNamesFile {
  readonly version: 1;
  /** `host:port/vhost` (lower-case host) → the journal's directory name under the root. */
  readonly nodes: Record<string, string>;
}

function nodeKey(node: Pick<BrokerUrl, 'hostname' | 'port' | 'vhost'>): string {
  return `${node.hostname.toLowerCase()}:${node.port}/${node.vhost}`;
}

function readNames(root: string): ClusterNamesFile {
  try {
    const parsed = JSON.parse(readFileSync(join(root, CLUSTER_NAMES_FILE), 'utf8')) as Partial<ClusterNamesFile>;
    if (parsed.version === 1 && typeof parsed.nodes === 'object' && parsed.nodes !== null) return { version: 1, nodes: { ...parsed.nodes } };
  } catch {
    // None yet, or unreadable: every URL keeps its own name.
  }
  return { version: 1, nodes: {} };
}

/** The directory name of a cluster's journal: `cluster_<name>_<vhost>`, safe as a file name. */
export function clusterJournalName(cluster: string, vhost: string): string {
  return `cluster_${encodeURIComponent(cluster).replace(/\*/g, '%2A')}_${encodeURIComponent(vhost).replace(/\./g, '%2E')}`;
}

/**
 * The journal directory for a broker URL (list) without connecting: the cluster's, when any node of the list was
 * seen in a cluster before (clusters.json), else the first URL's own.
 */
export function journalDirectoryFor(url: BrokerUrl, env: Env = process.env): string {
  if (url.protocol === 'embedded') return journalDirectory(url, { env });
  const root = journalRoot(env);
  const { nodes } = readNames(root);
  for (const node of nodesOf(url)) {
    const name = nodes[nodeKey(node)];
    if (name !== undefined && !name.includes('/') && !name.startsWith('.')) return join(root, name);
  }
  return journalDirectory(url, { env });
}

/**
 * Once connected: name the journal by the cluster. A URL list is a cluster's — its journal is
 * `cluster_<cluster_name>_<vhost>` and every node of the list is written into clusters.json, so later tools given
 * any of them (`camq history` included) find it. A single URL keeps journalDirectoryFor's answer. Never throws: a
 * root that cannot be written leaves the names as they were.
 */
export function rememberCluster(url: BrokerUrl, serverProperties: Readonly<Record<string, unknown>>, env: Env = process.env): string {
  if (url.protocol === 'embedded' || url.alternates.length === 0) return journalDirectoryFor(url, env);
  const identity = brokerIdentity(url, serverProperties);
  const name = clusterJournalName(identity.cluster, identity.vhost);
  const root = journalRoot(env);
  const names = readNames(root);
  let changed = false;
  for (const node of nodesOf(url)) {
    const key = nodeKey(node);
    if (names.nodes[key] !== name) {
      names.nodes[key] = name;
      changed = true;
    }
  }
  if (changed) {
    try {
      mkdirSync(root, { recursive: true });
      const tmp = join(root, `${CLUSTER_NAMES_FILE}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify(names, null, 1) + '\n');
      renameSync(tmp, join(root, CLUSTER_NAMES_FILE));
    } catch {
      // Read-only root: the journal's own open says so.
    }
  }
  return join(root, name);
}
