import type { ServiceDefinition } from '@homeostat/runtime';
import { CollectorModule } from './collector.module';

export const collectorService: ServiceDefinition = { name: 'collector', module: CollectorModule };
export { CollectorModule };
