import type { ServiceDefinition } from '@homeostat/runtime';
import { ConsoleModule } from './console.module';

export const consoleService: ServiceDefinition = { name: 'console', module: ConsoleModule };
export { ConsoleModule };
