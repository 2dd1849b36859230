import { BrokerConnectionError, BrokerError, CamqError, SOCKET_REASONS, TLS_TRUST_REASONS } from '../errors/index.js';
import type { BrokerUrl } from '../transport/broker-url.js';

/**
 * Translate whatever amqplib or the socket threw into a CamqError a user can act on. This is the one place that
 * reads amqplib's error shapes:
 *
 * - channel or connection closed by the server: `.code` is the reply code, `.classId`/`.methodId` the method, and
 *   the message ends in `with message "NOT_FOUND - no queue 'x' in vhost '/'"` (lib/channel.js);
 * - a refused login: `Handshake terminated by server: 403 (ACCESS-REFUSED) ...`;
 * - an unknown vhost: `Expected ConnectionOpenOk; got <ConnectionClose channel:0>`;
 * - socket errors: `.code` is `ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, ...
 */
export function translateAmqpError(err: unknown, url?: BrokerUrl): CamqError {
  if (err instanceof CamqError) return err;
  const e = (err ?? {}) as { code?: unknown; classId?: unknown; methodId?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const masked = url?.masked ?? 'the broker';

  const handshake = /Handshake terminated by server: (\d+) \(([^)]*)\)(?: with message "(.*)")?/.exec(message);
  if (handshake) {
    const code = Number(handshake[1]);
    const text = handshake[3] ?? handshake[2] ?? '';
    if (code === 403) {
      return new BrokerConnectionError(
        'broker.auth-failed',
        `${masked} refused the login for user '${url?.username ?? '?'}' (${text}); check the user and password in the broker URL`,
        masked,
        { cause: err },
      );
    }
    return new BrokerConnectionError('broker.unreachable', `${masked} ended the handshake: ${code} ${text}`, masked, { cause: err });
  }
  if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
    return new BrokerConnectionError(
      'broker.auth-failed',
      `${masked} refused access to vhost '${url?.vhost ?? '?'}' (530 NOT_ALLOWED): it does not exist or user '${url?.username ?? '?'}' may not use it; check the URL's path (// is the default vhost /)`,
      masked,
      { cause: err },
    );
  }

  if (typeof e.code === 'number') {
    const detail = /with message "(.*)"\s*$/s.exec(message);
    const replyText = detail?.[1] ?? message;
    const isChannelError = !/^Connection closed/.test(message);
    return new BrokerError({
      replyCode: e.code,
      replyText,
      classId: typeof e.classId === 'number' ? e.classId : undefined,
      methodId: typeof e.methodId === 'number' ? e.methodId : undefined,
      isChannelError,
      cause: err,
    });
  }

  if (typeof e.code === 'string' && TLS_TRUST_REASONS[e.code] !== undefined) {
    return new BrokerConnectionError(
      'broker.tls-untrusted',
      `the TLS certificate of ${masked} is not trusted: ${TLS_TRUST_REASONS[e.code]} (${e.code}); add ?cacertfile=/path/to/ca.pem to the URL with the CA that signed it (or ?verify=verify_none to skip the check)`,
      masked,
      { cause: err },
    );
  }
  if (e.code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') {
    // The broker's TLS alert: it wants a client certificate. Retrying cannot fix that, so the trust code (fatal).
    return new BrokerConnectionError(
      'broker.tls-untrusted',
      `${masked} asks for a client certificate and got none (${e.code}); add ?certfile=/path/to/cert.pem&keyfile=/path/to/key.pem to the URL`,
      masked,
      { cause: err },
    );
  }
  if (typeof e.code === 'string') {
    const reason = SOCKET_REASONS[e.code] ?? e.code;
    return new BrokerConnectionError(
      e.code === 'ETIMEDOUT' ? 'broker.timeout' : 'broker.unreachable',
      `cannot reach ${masked}: ${reason} (${e.code}); is the broker running? Set -b/--broker or CAMQ_BROKER_URL`,
      masked,
      { cause: err, reason: `${reason} (${e.code})` },
    );
  }
  if (/^Socket closed abruptly during opening handshake/.test(message)) {
    const reason = 'the peer closed the socket during the AMQP handshake';
    return new BrokerConnectionError(
      'broker.unreachable',
      `cannot connect to ${masked}: ${reason}; is it an AMQP broker, and is this its port?`,
      masked,
      { cause: err, reason },
    );
  }
  if (/Channel ended|Connection closed|closed/i.test(message) && /IllegalOperationError/.test(String((err as Error)?.name))) {
    return new BrokerConnectionError('broker.lost', `lost the connection to ${masked}: ${message}`, masked, { cause: err, reason: message });
  }
  return new CamqError('broker.error', message, { cause: err });
}
