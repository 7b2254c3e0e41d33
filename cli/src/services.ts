import { analyzerService } from '@homeostat/analyzer';
import { collectorService } from '@homeostat/collector';
import { consoleService } from '@homeostat/console';
import type { ServiceName } from '@homeostat/config';
import { deciderService } from '@homeostat/decider';
import { executorService } from '@homeostat/executor';
import { learnerService } from '@homeostat/learner';
import type { ServiceDefinition } from '@homeostat/runtime';

const ALL: Record<ServiceName, ServiceDefinition> = {
  collector: collectorService,
  analyzer: analyzerService,
  decider: deciderService,
  executor: executorService,
  learner: learnerService,
  console: consoleService,
};

export function serviceDefinitions(names: readonly ServiceName[]): ServiceDefinition[] {
  return names.map((n) => ALL[n]);
}
