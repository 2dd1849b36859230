import { describe, expect, it } from 'vitest';
import { AmqpException, notFound, preconditionFailed, resourceLocked, truncateReplyText } from '../../../src/broker/amqp-exception.js';

describe('AmqpException', () => {
  it("prefixes the text with the reply code's name and tells channel errors from connection errors", () => {
    expect(notFound("no queue 'q' in vhost '/'")).toMatchObject({
      replyCode: 404,
      replyText: "NOT_FOUND - no queue 'q' in vhost '/'",
      isConnectionError: false,
    });
    expect(preconditionFailed('x').isConnectionError).toBe(false);
    for (const code of [320, 501, 503, 504, 505, 530, 540, 541]) expect(new AmqpException(code, 'x').isConnectionError, String(code)).toBe(true);
  });

  it('cuts reply texts longer than a short string to 252 bytes and "..." as RabbitMQ does', () => {
    const text = resourceLocked('queue', 'q'.repeat(100), '/').replyText;
    expect(Buffer.byteLength(text)).toBe(255);
    expect(text.endsWith('...')).toBe(true);
    expect(truncateReplyText('short')).toBe('short');
    // 'a' and 126 two-byte characters would end in half a character at byte 252: that half is dropped.
    expect(truncateReplyText(`a${'é'.repeat(200)}`)).toBe(`a${'é'.repeat(125)}...`);
  });
});
