import { TemplateMiner, type MinerOptions } from '../src';
import { groupingAccuracy } from './grouping-accuracy';
import { LOGHUB_SYSTEMS, readLabelledLog, type LabelledLog } from './loghub-data';

export interface SystemResult {
  readonly system: string;
  readonly lines: number;
  readonly templates: number;
  readonly groupingAccuracy: number;
}

export interface LoghubResult {
  readonly systems: SystemResult[];
  readonly meanGroupingAccuracy: number;
}

/**
 * One fresh miner per system, the message contents fed once and in order, grouped by the template
 * id each line got when it was added (the ids `homeostat templates` writes).
 */
export function evaluateSystem(log: LabelledLog, options: Partial<MinerOptions> = {}): SystemResult {
  const miner = new TemplateMiner(options);
  const ids = log.contents.map((line) => miner.add(line).templateId);
  return {
    system: log.system,
    lines: ids.length,
    templates: new Set(ids).size,
    groupingAccuracy: groupingAccuracy(ids, log.eventIds),
  };
}

export function evaluateLoghub(dir: string, options: Partial<MinerOptions> = {}): LoghubResult {
  const systems = LOGHUB_SYSTEMS.map((s) => evaluateSystem(readLabelledLog(dir, s), options));
  const mean = systems.reduce((sum, r) => sum + r.groupingAccuracy, 0) / systems.length;
  return { systems, meanGroupingAccuracy: mean };
}
