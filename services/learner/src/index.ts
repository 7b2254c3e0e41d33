import type { ServiceDefinition } from '@homeostat/runtime';
import { LearnerModule } from './learner.module';

export const learnerService: ServiceDefinition = { name: 'learner', module: LearnerModule };
export { LearnerModule };
export { LearnerStore } from './learner-store.service';
