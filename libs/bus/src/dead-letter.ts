import { dlqTopic } from '@homeostat/contracts';
import type { RawMessage } from './types';

/** Headers a dead-lettered message carries on top of its original ones. */
export const DLQ_HEADERS = {
  error: 'homeostat-dlq-error',
  errorCode: 'homeostat-dlq-error-code',
  originalTopic: 'homeostat-dlq-original-topic',
  originalPartition: 'homeostat-dlq-original-partition',
  originalOffset: 'homeostat-dlq-original-offset',
  consumerGroup: 'homeostat-dlq-consumer-group',
  attempts: 'homeostat-dlq-attempts',
  failedAt: 'homeostat-dlq-failed-at',
} as const;

export interface DeadLetterReason {
  code: string;
  message: string;
  attempts: number;
  group: string;
}

/**
 * The dead-letter record keeps the original bytes, key and headers untouched, so a person (or a
 * replay tool) can fix the cause and send it back as it was.
 */
export function deadLetterOf(message: RawMessage, reason: DeadLetterReason): Omit<RawMessage, 'partition' | 'offset'> {
  const headers: Record<string, string> = {
    ...message.headers,
    [DLQ_HEADERS.error]: reason.message.slice(0, 8_000),
    [DLQ_HEADERS.errorCode]: reason.code,
    [DLQ_HEADERS.originalTopic]: message.topic,
    [DLQ_HEADERS.consumerGroup]: reason.group,
    [DLQ_HEADERS.attempts]: String(reason.attempts),
    [DLQ_HEADERS.failedAt]: new Date().toISOString(),
  };
  if (message.partition !== undefined) headers[DLQ_HEADERS.originalPartition] = String(message.partition);
  if (message.offset !== undefined) headers[DLQ_HEADERS.originalOffset] = message.offset;
  // A copy: the dead letter outlives the handling of the original, whose bytes the publisher
  // may reuse once it is handled (PublishBatchOptions.release).
  return { topic: dlqTopic(message.topic), key: message.key, value: Buffer.from(message.value), headers };
}
