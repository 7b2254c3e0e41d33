import type { ActionRunner, CallResponse, PreparedCall, RunOptions } from '@homeostat/execution';
import { sendRequest } from './http-runner';
import type { KubernetesActuator } from './kubernetes/kubernetes-actuator';

/** The executor's adapters: HTTP and webhook calls with fetch, Kubernetes API actions with its client. */
export class AdapterRunner implements ActionRunner {
  private kubernetes: KubernetesActuator | undefined;

  constructor(private readonly openKubernetes: () => KubernetesActuator) {}

  async run(prepared: PreparedCall, options: RunOptions): Promise<CallResponse> {
    if (prepared.adapter !== 'kubernetes') return { ...(await sendRequest(prepared.request, options.fetch)), memo: {} };
    let actuator: KubernetesActuator;
    try {
      actuator = this.kubernetes ??= this.openKubernetes();
    } catch (error) {
      return {
        accepted: false,
        latencyMs: 0,
        detail: `no Kubernetes configuration: ${error instanceof Error ? error.message : String(error)}`,
        memo: {},
      };
    }
    const { previousReplicas, ...response } = await actuator.run(prepared.call, options.memo ?? {}, options.signal);
    return { ...response, memo: previousReplicas !== undefined ? { previousReplicas } : {} };
  }
}
