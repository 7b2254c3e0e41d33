export { WILDCARD, maskLine, maskToken, maskedTokens, DEFAULT_MASK_LIMITS, type MaskedLine, type MaskLimits } from './mask';
export { shapeId } from './template-id';
export {
  TemplateMiner,
  DEFAULT_MINER_OPTIONS,
  similarity,
  type MinerOptions,
  type MinedLine,
  type TemplateInfo,
  type MinerStats,
  type MinerSnapshot,
  type ClusterSnapshot,
} from './template-miner';
