export { RedisTransport, type RedisTransportOptions } from './redis-transport.js';
export { RedisChannel, restoreVisible } from './redis-channel.js';
export * from './redis-keys.js';
export { encodeEnvelope, envelopeToDelivery, parseEnvelope, markRedelivered, type Envelope } from './envelope.js';
export { redisSettings, type RedisSettings } from './redis-settings.js';
export { RedisClaims, CLAIM_LEASE_MS, claimKey } from './redis-claims.js';
