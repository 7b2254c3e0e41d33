import { z } from 'zod';
import type { ActionCall } from '@homeostat/contracts';
import { renderTemplate, TemplateError, type Environment, type TemplateContext } from './template';

/**
 * `kubernetes` actions: scale a Deployment or restart its pods the way `kubectl rollout restart`
 * does. Names may hold `${VAR}` / `{{target}}` placeholders like every other adapter's params.
 *
 *   params: { operation: scale, deployment: shop, replicas: 3, namespace: shop }
 *   params: { operation: restart, deployment: shop }
 *
 * `replicas: previous` scales back to the count the Deployment had before this decision's own
 * scale action ran, so a scale action's inverse is
 *   inverse: { adapter: kubernetes, params: { operation: scale, deployment: shop, replicas: previous } }
 * Without `namespace` the executor's own namespace (in a cluster) or its kubeconfig context's is used.
 */
export const KUBERNETES_OPERATIONS = ['scale', 'restart'] as const;
export type KubernetesOperation = (typeof KUBERNETES_OPERATIONS)[number];

const name = z.string().min(1).max(253);
const kubernetesParams = z.discriminatedUnion('operation', [
  z
    .object({
      operation: z.literal('scale'),
      deployment: name,
      namespace: name.optional(),
      replicas: z.union([z.number().int().min(0).max(10_000), z.literal('previous')]),
    })
    .strict(),
  z.object({ operation: z.literal('restart'), deployment: name, namespace: name.optional() }).strict(),
]);

/** One Kubernetes API action, resolved: what the actuator sends. */
export type KubernetesCall =
  | { operation: 'scale'; deployment: string; namespace?: string; replicas: number | 'previous'; timeoutMs: number }
  | { operation: 'restart'; deployment: string; namespace?: string; timeoutMs: number };

export type KubernetesBuildResult =
  { ok: true; call: KubernetesCall } | { ok: false; code: 'ADAPTER_PARAMS_INVALID' | 'TEMPLATE_INVALID'; message: string };

/** DNS-1123 subdomain (Deployment names) and label (namespaces), checked after the placeholders are filled. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function buildKubernetesCall(
  call: Pick<ActionCall, 'params'>,
  input: { context: TemplateContext; env: Environment; timeoutMs: number },
): KubernetesBuildResult {
  const parsed = kubernetesParams.safeParse(call.params);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
    return { ok: false, code: 'ADAPTER_PARAMS_INVALID', message: `kubernetes action params: ${problems}` };
  }
  const p = parsed.data;
  try {
    const deployment = renderTemplate(p.deployment, input.context, input.env);
    const namespace = p.namespace === undefined ? undefined : renderTemplate(p.namespace, input.context, input.env);
    if (!DNS_SUBDOMAIN.test(deployment))
      return {
        ok: false,
        code: 'ADAPTER_PARAMS_INVALID',
        message: `kubernetes action params: deployment "${deployment}" is not a valid object name`,
      };
    if (namespace !== undefined && !DNS_LABEL.test(namespace))
      return {
        ok: false,
        code: 'ADAPTER_PARAMS_INVALID',
        message: `kubernetes action params: namespace "${namespace}" is not a valid namespace name`,
      };
    const where = { deployment, ...(namespace !== undefined ? { namespace } : {}), timeoutMs: input.timeoutMs };
    return {
      ok: true,
      call: p.operation === 'scale' ? { operation: 'scale', ...where, replicas: p.replicas } : { operation: 'restart', ...where },
    };
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, code: 'TEMPLATE_INVALID', message: error.message };
    throw error;
  }
}

export function describeKubernetesCall(call: KubernetesCall): Record<string, unknown> {
  return { adapter: 'kubernetes', ...call };
}
