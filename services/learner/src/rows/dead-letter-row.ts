import { DLQ_HEADERS, type RawMessage } from '@homeostat/bus';
import { toDateTime64 } from '@homeostat/store';

export type DeadLetterRow = {
  topic: string;
  key: string;
  error: string;
  error_code: string;
  headers: Record<string, string>;
  payload: string;
  received_at: string;
};

const DLQ_SUFFIX = '.dlq';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A message from `<topic>.dlq` as a `dead_letters` row. The payload is kept byte for byte: as
 * text when it is UTF-8 (JSON always is), otherwise as `base64:<bytes>`, so a replay can restore it.
 */
export function deadLetterRow(message: RawMessage, receivedAt: Date = new Date()): DeadLetterRow {
  const headers = message.headers;
  const originalTopic =
    headers[DLQ_HEADERS.originalTopic] ?? (message.topic.endsWith(DLQ_SUFFIX) ? message.topic.slice(0, -DLQ_SUFFIX.length) : message.topic);
  return {
    topic: originalTopic,
    key: message.key ?? '',
    error: headers[DLQ_HEADERS.error] ?? '',
    error_code: headers[DLQ_HEADERS.errorCode] ?? '',
    headers: { ...headers },
    payload: payloadText(message.value),
    received_at: toDateTime64(receivedAt, 3),
  };
}

function payloadText(value: Buffer): string {
  try {
    return strictUtf8.decode(value);
  } catch {
    return `base64:${value.toString('base64')}`;
  }
}
