import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ActionResponse, KubernetesCall } from '@homeostat/execution';

/** The annotation `kubectl rollout restart` sets; a new value rolls the pods. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export interface KubernetesResponse extends ActionResponse {
  /** spec.replicas before a scale action changed it: what `replicas: previous` restores. */
  previousReplicas?: number;
}

/**
 * Kubernetes by kubeconfig: in a pod, the service account (token, CA, namespace) Kubernetes mounts;
 * elsewhere `KUBECONFIG` or ~/.kube/config. Loaded on first use, so an executor without Kubernetes
 * actions never needs one.
 */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

/**
 * Runs kubernetes actions against the API server: the Deployment's scale subresource (read, then
 * a merge patch of spec.replicas) and a merge patch of the pod template's restartedAt annotation.
 * Never throws: an API error, a refused connection or a timeout is a response not accepted.
 */
export class KubernetesActuator {
  private readonly apps: AppsV1Api;
  private readonly defaultNamespace: string;

  constructor(
    kubeConfig: KubeConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.defaultNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
  }

  async run(call: KubernetesCall, memo: { previousReplicas?: number } = {}, signal?: AbortSignal): Promise<KubernetesResponse> {
    const namespace = call.namespace ?? this.defaultNamespace;
    const started = Date.now();
    const where = `deployment ${namespace}/${call.deployment}`;
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    try {
      return await withTimeout(call.timeoutMs, signal, async () => {
        if (call.operation === 'restart') {
          const at = this.now().toISOString();
          const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } };
          await this.apps.patchNamespacedDeployment({ name: call.deployment, namespace, body }, mergePatch);
          return { accepted: true, latencyMs: Date.now() - started, detail: `restarted ${where} (${RESTARTED_AT_ANNOTATION}=${at})` };
        }
        const current = await this.apps.readNamespacedDeploymentScale({ name: call.deployment, namespace });
        const before = current.spec?.replicas ?? 0;
        let replicas: number;
        if (call.replicas === 'previous') {
          if (memo.previousReplicas === undefined) {
            return {
              accepted: false,
              latencyMs: Date.now() - started,
              detail: `cannot scale ${where} back: the replica count before the action is unknown`,
            };
          }
          replicas = memo.previousReplicas;
        } else replicas = call.replicas;
        await this.apps.patchNamespacedDeploymentScale({ name: call.deployment, namespace, body: { spec: { replicas } } }, mergePatch);
        return {
          accepted: true,
          latencyMs: Date.now() - started,
          previousReplicas: before,
          detail: `scaled ${where} from ${before} to ${replicas} replicas`,
        };
      });
    } catch (error) {
      return { accepted: false, latencyMs: Date.now() - started, detail: `${call.operation} of ${where} failed: ${describeError(error)}` };
    }
  }
}

async function withTimeout<T>(ms: number, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no response within ${ms} ms`)), ms);
    onAbort = () => reject(new Error('the executor is shutting down'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([run(), stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function describeError(error: unknown): string {
  const e = error as { code?: unknown; body?: unknown; message?: unknown };
  if (typeof e?.code === 'number') {
    let reason = '';
    try {
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string } | undefined);
      reason = body?.message ?? '';
    } catch {
      reason = String(e.body).slice(0, 200);
    }
    return `HTTP ${e.code}${reason ? `: ${reason}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}
