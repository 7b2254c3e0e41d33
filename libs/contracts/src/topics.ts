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

const DLQ_SUFFIX = '.dlq';

export const dlqTopic = (topic: string): string => `${topic}${DLQ_SUFFIX}`;

export const isDlqTopic = (topic: string): boolean => topic.endsWith(DLQ_SUFFIX);

const topicSet: ReadonlySet<string> = new Set(TOPICS);

export function isTopic(s: string): s is Topic {
  return topicSet.has(s);
}
