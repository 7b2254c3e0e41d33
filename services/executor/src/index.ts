import type { ServiceDefinition } from '@homeostat/runtime';
import { ExecutorModule } from './executor.module';

export const executorService: ServiceDefinition = { name: 'executor', module: ExecutorModule };
export { ExecutorModule };
export { GitValidator, GitValidationError, type GitValidatorOptions } from './adapters/vcs/git-validator';
export { runCommand, type RunCommandOptions } from './adapters/vcs/run-command';
export { GitRepairActuator, type GitRepairOptions } from './adapters/vcs/git-repair.actuator';
