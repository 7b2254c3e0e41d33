import type { ServiceDefinition } from '@homeostat/runtime';
import { ExecutorModule } from './executor.module';

export const executorService: ServiceDefinition = { name: 'executor', module: ExecutorModule };
export { ExecutorModule };
