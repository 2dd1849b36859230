export { DEFAULT_API_TIMEOUT_MS, ManagementApi, type ManagementApiOptions } from './management-api.js';
export {
  MANAGEMENT_PORT,
  MANAGEMENT_PORT_OFFSET,
  MANAGEMENT_TLS_PORT,
  amqpListenerPorts,
  candidateUrls,
  discoverManagementApi,
  parseApiUrl,
  type ApiDiscovery,
  type ApiDiscoveryOptions,
} from './api-discovery.js';
export { QUEUE_COLUMNS, parseIdleSince, parseQueueList, queueListPath } from './api-queue-figures.js';
export type { FiguresSource, QueueFigures, QueueListing } from './queue-figures.js';
export { isHousekeepingQueue } from './housekeeping.js';
export { QueueGrowth, STATS_INTERVAL_MS } from './queue-growth.js';
export { queueMarkers, type QueueMarker } from './queue-markers.js';
export { SORT_KEYS, nameMatcher, parseSortKey, selectQueues, type QueueSelection, type SortKey } from './queue-selection.js';
export { passiveDeclareFigures, type PassiveDeclareResult } from './passive-declare-figures.js';
export { workerQueueConsumers, workerQueueNames } from './worker-queue-names.js';
export { ENABLE_API_HINT, QueueLister, type QueueListerOptions } from './queue-lister.js';
export { QueueWatcher, type QueueWatchSnapshot, type QueueWatcherOptions } from './queue-watcher.js';
export { liveMailboxes, liveNodenames, pidboxBindingsPath, queueConsumersPath } from './live-mailboxes.js';
export { DEPTH_HISTORY_LENGTH, QueueDepthHistory } from './queue-depth-history.js';
export { EMPTY_QUEUE_PANE, queuePaneView, type QueuePaneRow, type QueuePaneView } from './queue-pane-rows.js';
export { DEPTH_TIMEOUT_MS, queueDepths, type QueueDepth, type QueueDepthOptions } from './queue-depths.js';
