import { BrokerConnectionError, BrokerError, CamqError, ReplyCode, SOCKET_REASONS, TLS_TRUST_REASONS } from '../errors/index.js';
import type { BrokerUrl } from '../transport/broker-url.js';

/**
 * Translate what ioredis or the socket threw into a CamqError a user can act on: the one place that reads ioredis's
 * error shapes (socket codes, `NOAUTH`/`WRONGPASS` replies, `Connection is closed.`, `ERR …` replies). `url`, when
 * given, lets TLS problems name the URL's own options and a scheme that does not match the port.
 */
export function translateRedisError(err: unknown, masked: string, url?: BrokerUrl): CamqError {
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
  if (typeof e.code === 'string' && TLS_TRUST_REASONS[e.code] !== undefined) {
    return new BrokerConnectionError(
      'broker.tls-untrusted',
      `the TLS certificate of ${masked} is not trusted: ${TLS_TRUST_REASONS[e.code]} (${e.code}); ${tlsAdvice(e.code, url)}`,
      masked,
      { cause: err },
    );
  }
  if (typeof e.code === 'string' && SOCKET_REASONS[e.code] !== undefined) {
    const reason = `${SOCKET_REASONS[e.code]} (${e.code})`;
    const hint = schemeHint(e.code, url);
    return new BrokerConnectionError(
      e.code === 'ETIMEDOUT' ? 'broker.timeout' : 'broker.unreachable',
      `cannot reach ${masked}: ${reason}; is redis-server running? Set -b/--broker or CAMQ_BROKER_URL${hint}`,
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

/**
 * What a socket failure may mean for this scheme: a plain client on a TLS port is reset by the server; a TLS client
 * on a plain port waits for an answer that never comes; a TLS client without the certificate the server asks for is
 * reset during the handshake (under TLS 1.3 Node sees the reset before the server's alert).
 */
function schemeHint(code: string, url: BrokerUrl | undefined): string {
  if (url?.protocol === 'redis' && code === 'ECONNRESET') return '; if that port speaks TLS, use rediss://';
  if (url?.protocol === 'rediss' && code === 'ETIMEDOUT') return '; if that port speaks plain Redis (no TLS), use redis://';
  if (url?.protocol === 'rediss' && code === 'ECONNRESET' && !url.query['ssl_certfile']) {
    return '; if the server asks for a client certificate, add ?ssl_certfile=/path/to/cert.pem&ssl_keyfile=/path/to/key.pem';
  }
  return '';
}

/** What to do about a server certificate that does not verify (TLS_TRUST_REASONS says what is wrong with it). */
function tlsAdvice(code: string, url: BrokerUrl | undefined): string {
  const skip = '(or ?ssl_cert_reqs=none to skip the check)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `connect by a host name the certificate lists ${skip}`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `renew it on the server ${skip}`;
  const ca = url?.query['ssl_ca_certs'];
  if (ca) return `the CA in ssl_ca_certs=${ca} did not sign it: give the one that did ${skip}`;
  return `add ?ssl_ca_certs=/path/to/ca.pem to the URL with the CA that signed it ${skip}`;
}

/** kombu's passive-declare refusal, as RabbitMQ words it, so engines that look for a 404 find one. */
export function notFound(what: 'queue' | 'exchange', name: string, db: number): BrokerError {
  return new BrokerError({ replyCode: ReplyCode.NOT_FOUND, replyText: `NOT_FOUND - no ${what} '${name}' in vhost '${db}'`, isChannelError: true });
}
