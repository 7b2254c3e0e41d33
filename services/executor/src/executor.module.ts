import { Module } from '@nestjs/common';
import type { ActionRunner } from '@homeostat/execution';
import { ExecutorConsumer } from './executor.consumer';
import { AdapterRunner } from './adapters/adapter-runner';
import { defaultKubeConfig, KubernetesActuator } from './adapters/kubernetes/kubernetes-actuator';
import { ACTION_ENV, ACTION_RUNNER, ExecutorService } from './executor.service';

@Module({
  controllers: [ExecutorConsumer],
  providers: [
    ExecutorService,
    // Read once at start: `${VAR}` in action params and health URLs (e.g. the shop's base URL).
    { provide: ACTION_ENV, useFactory: (): Readonly<Record<string, string | undefined>> => ({ ...process.env }) },
    // Kubernetes configuration (in-cluster service account, or KUBECONFIG) is read on the first kubernetes action.
    { provide: ACTION_RUNNER, useFactory: (): ActionRunner => new AdapterRunner(() => new KubernetesActuator(defaultKubeConfig())) },
  ],
})
export class ExecutorModule {}
