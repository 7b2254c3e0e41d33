import type { ServiceDefinition } from '@homeostat/runtime';
import { DeciderModule } from './decider.module';

export const deciderService: ServiceDefinition = { name: 'decider', module: DeciderModule };
export { DeciderModule };
