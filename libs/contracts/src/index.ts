export * from './topics';
export * from './errors';
export {
  ADAPTERS,
  COMPONENTS,
  RISK_LEVELS,
  SEVERITIES,
  actionCall as actionCallSchema,
  attributes as attributesSchema,
  traceId as traceIdSchema,
  spanId as spanIdSchema,
  type ActionCall,
  type ActionParams,
  type Adapter,
  type Attributes,
  type Component,
  type Labels,
  type RiskLevel,
  type Severity,
} from './events/common.schema';
export * from './events/telemetry.schema';
export { checkSpansBatch, satisfiesSpanContract } from './events/span-check';
export * from './events/incident.schema';
export * from './events/build-failure.schema';
export * from './events/decision.schema';
export * from './events/outcome.schema';
export * from './events/knowledge.schema';
export * from './events/optimize.schema';
export * from './events/control.schema';
export * from './events/registry';
export * from './envelope';
export * from './loop/duration';
export * from './loop/loop-spec.schema';
export * from './loop/repair-spec.schema';
export * from './loop/optimize-spec.schema';
export * from './loop/loop-spec.parser';
export { parseLocatedYaml, issueToSpecErrors, type Locate, type LocatedParseResult } from './yaml/located-yaml';
export * from './optimize/intent.schema';
export * from './optimize/intent.parser';
export * from './ledger-api';
