/**
 * Whether setting up topics may succeed when tried again. Services start together and each
 * creates the topics it is missing: one can see a topic another has just created before the
 * broker has a leader for its partitions (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE), or
 * lose the race to create it (TOPIC_ALREADY_EXISTS). kafkajs marks such errors `retriable`, also
 * inside the error it wraps after its own retries.
 */
export function isRetriableTopicSetupError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const { retriable, type, originalError, cause } = e as {
      retriable?: unknown;
      type?: unknown;
      originalError?: unknown;
      cause?: unknown;
    };
    if (retriable === true || (typeof type === 'string' && RACE_TYPES.has(type))) return true;
    e = originalError ?? cause;
  }
  return false;
}

const RACE_TYPES = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'TOPIC_ALREADY_EXISTS', 'NOT_CONTROLLER']);

/** Attempts at setting up topics at start, with the pause before each retry doubling from this. */
export const TOPIC_SETUP_ATTEMPTS = 6;
export const TOPIC_SETUP_BACKOFF_MS = 250;
