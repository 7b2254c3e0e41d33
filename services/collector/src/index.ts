import type { ServiceDefinition } from '@homeostat/runtime';
import { CollectorModule } from './collector.module';

/** Nest's body parsers stay off: the collector reads (and size-caps, and inflates) bodies itself. */
export const collectorService: ServiceDefinition = { name: 'collector', module: CollectorModule, bodyParser: false };
export { CollectorModule };
