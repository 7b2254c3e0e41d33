import type { ActionCall } from '@homeostat/contracts';
import { buildActionRequest, describeRequest, type ActionRequest, type RequestErrorCode, type RequestInput } from './action-request';
import { buildKubernetesCall, describeKubernetesCall, type KubernetesCall } from './kubernetes-call';

/** An action call resolved for its adapter: an HTTP request, or a Kubernetes API action. */
export type PreparedCall = { adapter: 'http' | 'webhook'; request: ActionRequest } | { adapter: 'kubernetes'; call: KubernetesCall };

export type PrepareResult = { ok: true; prepared: PreparedCall } | { ok: false; code: RequestErrorCode; message: string };

/** What came back from the target for one call. */
export interface ActionResponse {
  /** The target took the call (the expected status, or the API call went through). */
  accepted: boolean;
  status?: number;
  latencyMs: number;
  /** A short excerpt of the response body, or why there was no response. */
  detail: string;
}

/** What a run left behind that its inverse may need (the replica count before a scale). */
export interface RunMemo {
  previousReplicas?: number;
}

export interface CallResponse extends ActionResponse {
  memo: RunMemo;
}

export interface RunOptions {
  /** fetch for HTTP adapters; it gives up when `signal` aborts. */
  fetch: typeof fetch;
  signal: AbortSignal;
  /** What the action left behind, when this call is its inverse. */
  memo?: RunMemo;
}

/**
 * Sends prepared calls through their adapters (HTTP, Kubernetes API). Never throws: a failure is
 * a response not accepted, so the pipeline has one shape to report.
 */
export interface ActionRunner {
  run(prepared: PreparedCall, options: RunOptions): Promise<CallResponse>;
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
