/** Kafka topics of the loop. Keyed by target so one target's events stay in order. */
export const TOPICS = [
  'telemetry.spans',
  'telemetry.metrics',
  'telemetry.logs',
  'loop.incidents',
  'loop.decisions',
  'loop.outcomes',
  'loop.knowledge',
  'loop.control',
] as const;

export type Topic = (typeof TOPICS)[number];

/** `loop.knowledge` is log-compacted: the latest record per key is the state. */
export const COMPACTED_TOPICS: readonly Topic[] = ['loop.knowledge'];

/**
 * A stage's own state as a changelog (not events, no envelope): the analyzer's per-target state,
 * gzip-compressed JSON keyed by target, log-compacted. Read only by the analyzer's replicas, so a
 * target whose partition moves keeps its detectors, templates and incident.
 */
export const ANALYZER_STATE_TOPIC = 'analyzer.state';

/** The largest record analyzer.state takes (its `max.message.bytes` when the services create it): one target's state. */
export const ANALYZER_STATE_MAX_BYTES = 8 * 1024 * 1024;

const DLQ_SUFFIX = '.dlq';

export const dlqTopic = (topic: string): string => `${topic}${DLQ_SUFFIX}`;

export const isDlqTopic = (topic: string): boolean => topic.endsWith(DLQ_SUFFIX);

const topicSet: ReadonlySet<string> = new Set(TOPICS);

export function isTopic(s: string): s is Topic {
  return topicSet.has(s);
}
