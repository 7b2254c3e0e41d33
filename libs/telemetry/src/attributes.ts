/**
 * Span attribute and metric names used by Homeostat's own instrumentation, in one place so
 * dashboards and queries do not depend on string literals scattered through the services.
 * Messaging attributes follow the OpenTelemetry semantic conventions for messaging.
 */
export const ATTR = {
  messagingSystem: 'messaging.system',
  messagingOperation: 'messaging.operation.type',
  messagingDestination: 'messaging.destination.name',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  messagingMessageId: 'messaging.message.id',
  messagingKafkaKey: 'messaging.kafka.message.key',
  messagingKafkaOffset: 'messaging.kafka.offset',
  messagingPartition: 'messaging.destination.partition.id',
  eventType: 'homeostat.event.type',
  eventSubject: 'homeostat.event.subject',
  deliveryAttempt: 'homeostat.delivery.attempt',
  deliveryOutcome: 'homeostat.delivery.outcome',
} as const;

export const METRIC = {
  messagesConsumed: 'homeostat.bus.messages.consumed',
  messagesPublished: 'homeostat.bus.messages.published',
  messagesDeadLettered: 'homeostat.bus.messages.dead_lettered',
  messagesDuplicate: 'homeostat.bus.messages.duplicate',
  handlerDuration: 'homeostat.bus.handler.duration',
} as const;
