import type { ActionCall } from '@homeostat/contracts';
import { buildActionRequest, describeRequest, type ActionRequest, type RequestErrorCode, type RequestInput } from './action-request';
import { sendRequest, type ActionResponse, type Fetch } from './http-runner';
import { buildKubernetesCall, describeKubernetesCall, type KubernetesCall } from './kubernetes/kubernetes-call';
import type { KubernetesActuator } from './kubernetes/kubernetes-actuator';

/** An action call resolved for its adapter: an HTTP request, or a Kubernetes API action. */
export type PreparedCall = { adapter: 'http' | 'webhook'; request: ActionRequest } | { adapter: 'kubernetes'; call: KubernetesCall };

export type PrepareResult = { ok: true; prepared: PreparedCall } | { ok: false; code: RequestErrorCode; message: string };

/** What a run left behind that its inverse may need (the replica count before a scale). */
export interface RunMemo {
  previousReplicas?: number;
}

export interface CallResponse extends ActionResponse {
  memo: RunMemo;
}

/** Resolves a call for its adapter (pure: the environment is given); errors carry a code. */
export function prepareCall(call: Pick<ActionCall, 'adapter' | 'params'>, input: RequestInput): PrepareResult {
  if (call.adapter === 'kubernetes') {
    const built = buildKubernetesCall(call, { context: input.context, env: input.env, timeoutMs: input.timeoutMs });
    return built.ok ? { ok: true, prepared: { adapter: 'kubernetes', call: built.call } } : built;
  }
  const built = buildActionRequest(call, input);
  if (!built.ok) return built;
  return { ok: true, prepared: { adapter: call.adapter === 'webhook' ? 'webhook' : 'http', request: built.request } };
}

/** The call as people may see it (dry-run detail, logs): credentials masked. */
export function describeCall(prepared: PreparedCall): Record<string, unknown> {
  return prepared.adapter === 'kubernetes' ? describeKubernetesCall(prepared.call) : describeRequest(prepared.request);
}

/** Sends prepared calls through their adapter. Never throws: a failure is a response not applied. */
export class ActionRunner {
  private kubernetes: KubernetesActuator | undefined;

  constructor(private readonly openKubernetes: () => KubernetesActuator) {}

  async run(prepared: PreparedCall, options: { fetch: Fetch; signal: AbortSignal; memo?: RunMemo }): Promise<CallResponse> {
    if (prepared.adapter !== 'kubernetes') return { ...(await sendRequest(prepared.request, options.fetch)), memo: {} };
    let actuator: KubernetesActuator;
    try {
      actuator = this.kubernetes ??= this.openKubernetes();
    } catch (error) {
      return { applied: false, latencyMs: 0, detail: `no Kubernetes configuration: ${error instanceof Error ? error.message : String(error)}`, memo: {} };
    }
    const { previousReplicas, ...response } = await actuator.run(prepared.call, options.memo ?? {}, options.signal);
    return { ...response, memo: previousReplicas !== undefined ? { previousReplicas } : {} };
  }
}
