import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isRetriableTopicSetupError } from './topic-setup';

describe('isRetriableTopicSetupError', () => {
  it('given a topic another service has just created, without a leader yet, then retriable', () => {
    const notHosted = new KafkaJSProtocolError('This server does not host this topic-partition');
    Object.assign(notHosted, { type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    expect(isRetriableTopicSetupError(notHosted)).toBe(true);
    expect(isRetriableTopicSetupError(new KafkaJSNumberOfRetriesExceeded(notHosted, { retryCount: 5, retryTime: 1000 }))).toBe(true);
  });

  it('given a lost race to create a topic, then retriable', () => {
    expect(
      isRetriableTopicSetupError(Object.assign(new Error('Topic with this name already exists'), { type: 'TOPIC_ALREADY_EXISTS' })),
    ).toBe(true);
  });

  it('given a refusal that will not change (no rights, a bad setting), then not retriable', () => {
    const denied = Object.assign(new Error('Topic authorization failed'), { type: 'TOPIC_AUTHORIZATION_FAILED', retriable: false });
    expect(isRetriableTopicSetupError(denied)).toBe(false);
    expect(isRetriableTopicSetupError(new KafkaJSNonRetriableError('invalid replication factor'))).toBe(false);
    expect(isRetriableTopicSetupError(new Error('boom'))).toBe(false);
    expect(isRetriableTopicSetupError(undefined)).toBe(false);
  });
});
