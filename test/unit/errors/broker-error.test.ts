import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/errors/index.js';

describe('BrokerError', () => {
  it('is one line: the reply code and text as the broker sent them', () => {
    const error = new BrokerError({ replyCode: 404, replyText: "NOT_FOUND - no queue 'x' in vhost '/'", isChannelError: true });
    expect(error.message).toBe("404 NOT_FOUND - no queue 'x' in vhost '/'");
    expect(error.code).toBe('broker.not-found');
  });

  it("keeps the first line of a multi-line text, and says what to do about RabbitMQ 4.3's transient-queue refusal", () => {
    // The shape of RabbitMQ 4.x's deprecated-feature texts: a first line naming the feature, then configuration advice.
    const replyText =
      'INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated.\nIts use is not permitted per the configuration (overriding the default, which is permitted):\n    deprecated_features.permit.transient_nonexcl_queues = false';
    const error = new BrokerError({ replyCode: 541, replyText, isChannelError: false });
    expect(error.message).toBe(
      "541 INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated. This broker refuses queues that are neither durable nor exclusive (RabbitMQ 4.3's default): declare the queue durable or exclusive",
    );
    expect(error.replyText).toBe(replyText);
    expect(error.code).toBe('broker.internal-error');
  });

  it('says why a quorum queue refuses a consumer with global prefetch, and what each kind of worker needs', () => {
    const error = new BrokerError({
      replyCode: 540,
      replyText: "NOT_IMPLEMENTED - queue 'q' in vhost '/' does not support global qos",
      isChannelError: false,
    });
    expect(error.message).toBe(
      "540 NOT_IMPLEMENTED - queue 'q' in vhost '/' does not support global qos. A consumer of a quorum queue needs per-consumer prefetch (basic.qos global=false): camq worker uses it once it knows the type (-Q name:quorum); a Python Celery 5.2 worker needs the bootstep in docs/worker.md (Quorum queues)",
    );
  });

  it('adds no advice to other internal errors', () => {
    expect(new BrokerError({ replyCode: 541, replyText: 'INTERNAL_ERROR', isChannelError: false }).message).toBe('541 INTERNAL_ERROR');
  });
});
