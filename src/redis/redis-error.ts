import { BrokerConnectionError, BrokerError, CamqError, ReplyCode, SOCKET_REASONS } from '../errors/index.js';

/**
 * Translate what ioredis or the socket threw into a CamqError a user can act on: the one place that reads ioredis's
 * error shapes (socket codes, `NOAUTH`/`WRONGPASS` replies, `Connection is closed.`, `ERR …` replies).
 */
export function translateRedisError(err: unknown, masked: string): CamqError {
  if (err instanceof CamqError) return err;
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (/^(NOAUTH|WRONGPASS)|invalid password|invalid username-password/i.test(message)) {
    return new BrokerConnectionError(
      'broker.auth-failed',
      `${masked} refused the login (${message.split('\n', 1)[0]}); check the password in the URL (redis://:password@host:port/db)`,
      masked,
      { cause: err },
    );
  }
  if (/DB index is out of range/i.test(message)) {
    return new BrokerConnectionError(
      'broker.auth-failed',
      `${masked}: the database number is out of range for this server (${message}); check the URL's /db`,
      masked,
      {
        cause: err,
      },
    );
  }
  if (typeof e.code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME/.test(e.code)) {
    return new BrokerConnectionError(
      'broker.tls-untrusted',
      `the TLS certificate of ${masked} is not trusted (${e.code}); add ?ssl_ca_certs=/path/to/ca.pem to the URL (or ?ssl_cert_reqs=none to skip the check)`,
      masked,
      { cause: err },
    );
  }
  if (typeof e.code === 'string' && SOCKET_REASONS[e.code] !== undefined) {
    const reason = `${SOCKET_REASONS[e.code]} (${e.code})`;
    return new BrokerConnectionError(
      e.code === 'ETIMEDOUT' ? 'broker.timeout' : 'broker.unreachable',
      `cannot reach ${masked}: ${reason}; is redis-server running? Set -b/--broker or CAMQ_BROKER_URL`,
      masked,
      { cause: err, reason },
    );
  }
  if (/Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(message)) {
    return new BrokerConnectionError('broker.lost', `lost the connection to ${masked}`, masked, { cause: err, reason: 'connection closed' });
  }
  if (/^(ERR|WRONGTYPE|READONLY|OOM|NOSCRIPT|BUSY|MISCONF)/.test(message)) {
    return new BrokerError({ replyCode: ReplyCode.INTERNAL_ERROR, replyText: `Redis: ${message}`, isChannelError: true, cause: err });
  }
  return new CamqError('broker.error', message, { cause: err });
}

/** kombu's passive-declare refusal, as RabbitMQ words it, so engines that look for a 404 find one. */
export function notFound(what: 'queue' | 'exchange', name: string, db: number): BrokerError {
  return new BrokerError({ replyCode: ReplyCode.NOT_FOUND, replyText: `NOT_FOUND - no ${what} '${name}' in vhost '${db}'`, isChannelError: true });
}
