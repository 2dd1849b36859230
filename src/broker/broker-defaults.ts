/**
 * The embedded broker's limits that the CLI shows as option defaults, apart from the server so `camq broker --help`
 * does not load the broker. BrokerServerOptions (server.ts) says what each one bounds and why this value.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_OUTPUT_BOUND = 4 * 1024 * 1024;
