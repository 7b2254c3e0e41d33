import { Module } from '@nestjs/common';
import { join } from 'node:path';
import type { HomeostatConfig } from '@homeostat/config';
import type { ActionRunner, RepairActuator } from '@homeostat/execution';
import { CONFIG } from '@homeostat/runtime';
import { GitRepairActuator } from './adapters/vcs/git-repair.actuator';
import { ExecutorConsumer } from './executor.consumer';
import { AdapterRunner } from './adapters/adapter-runner';
import { defaultKubeConfig, KubernetesActuator } from './adapters/kubernetes/kubernetes-actuator';
import { ACTION_ENV, ACTION_RUNNER, ExecutorService, REPAIR_ACTUATOR } from './executor.service';

@Module({
  controllers: [ExecutorConsumer],
  providers: [
    ExecutorService,
    // Read once at start: `${VAR}` in action params and health URLs (e.g. the shop's base URL).
    { provide: ACTION_ENV, useFactory: (): Readonly<Record<string, string | undefined>> => ({ ...process.env }) },
    // Kubernetes configuration (in-cluster service account, or KUBECONFIG) is read on the first kubernetes action.
    { provide: ACTION_RUNNER, useFactory: (): ActionRunner => new AdapterRunner(() => new KubernetesActuator(defaultKubeConfig())) },
    {
      provide: REPAIR_ACTUATOR,
      inject: [CONFIG],
      useFactory: (config: HomeostatConfig): RepairActuator =>
        new GitRepairActuator({
          npmCache: join(config.dataDir, 'executor', 'npm-cache'),
          // A loop's GitHub forge reads its token from here (repair.forge.tokenEnv); nothing else of it leaves the executor.
          env: { ...process.env },
          ...(config.urls.console ? { consoleUrl: config.urls.console } : {}),
        }),
    },
  ],
})
export class ExecutorModule {}
