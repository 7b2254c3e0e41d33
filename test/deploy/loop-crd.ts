import { z } from 'zod';
import { loopSpecSchema } from '@homeostat/contracts';

/**
 * The `Loop` CustomResourceDefinition, generated from the loop spec's zod schema (the one
 * `homeostat validate` uses) and rewritten into a Kubernetes *structural* schema:
 *  - zod's OpenAPI 3.0 output is the start (enums for literals, boolean exclusiveMinimum);
 *  - `additionalProperties: false` goes (Kubernetes prunes unknown fields instead);
 *  - a discriminated union (signals) becomes one object with every variant's properties, and a
 *    `oneOf` that keeps each variant's enum and required fields (value validation only, as
 *    structural schemas allow inside junctors);
 *  - free-form JSON (action params) and string-or-object unions (inverse) keep their content
 *    with `x-kubernetes-preserve-unknown-fields`;
 *  - metadata is Kubernetes' own: `type: object` (the loop's version and description travel as
 *    the annotations homeostat.dev/version and homeostat.dev/description on a Loop resource).
 * Regenerate deploy/k8s/base/loop-crd.yaml with
 *   node -r @swc-node/register test/deploy/generate-loop-crd.ts
 * (test/deploy/k8s.spec.ts fails when the file and this function disagree.)
 */
export const LOOP_CRD_FILE = 'deploy/k8s/base/loop-crd.yaml';

type Schema = Record<string, unknown>;

export function loopOpenApiSchema(): Schema {
  const generated = z.toJSONSchema(loopSpecSchema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'any' }) as Schema;
  const spec = structural((generated['properties'] as Record<string, Schema>)['spec'] as Schema);
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec,
    },
  };
}

export function loopCrd(): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'loops.homeostat.dev', labels: { 'app.kubernetes.io/part-of': 'homeostat' } },
    spec: {
      group: 'homeostat.dev',
      scope: 'Namespaced',
      names: { plural: 'loops', singular: 'loop', kind: 'Loop', listKind: 'LoopList', shortNames: ['hloop'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: loopOpenApiSchema() },
          additionalPrinterColumns: [
            { name: 'Target', type: 'string', jsonPath: '.spec.target.service' },
            { name: 'Dry-run', type: 'boolean', jsonPath: '.spec.guardrails.dryRun' },
            { name: 'Version', type: 'string', jsonPath: '.metadata.annotations.homeostat\\.dev/version' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}

const DROP = new Set(['$schema', 'id', '$id']);

function structural(schema: Schema): Schema {
  if (Array.isArray(schema['oneOf']) && (schema['oneOf'] as Schema[]).every((v) => v['type'] === 'object'))
    return mergeVariants(schema['oneOf'] as Schema[]);
  if (Array.isArray(schema['anyOf'])) {
    // string-or-object (an inverse by name or inline): kept as given; zod checks it.
    return { 'x-kubernetes-preserve-unknown-fields': true };
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROP.has(key)) continue;
    if (key === 'additionalProperties') {
      if (value === false) continue;
      const inner = value as Schema;
      if (Object.keys(inner).length === 0 || inner['type'] === undefined) {
        out['x-kubernetes-preserve-unknown-fields'] = true;
        continue;
      }
      out[key] = structural(inner);
      continue;
    }
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, structural(v)]));
      continue;
    }
    if (key === 'items') {
      out[key] = structural(value as Schema);
      continue;
    }
    out[key] = value;
  }
  if (out['type'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

function mergeVariants(variants: Schema[]): Schema {
  const properties: Record<string, Schema> = {};
  for (const v of variants) {
    for (const [k, p] of Object.entries(v['properties'] as Record<string, Schema>)) {
      const s = structural(p);
      const seen = properties[k];
      if (seen && Array.isArray(seen['enum']) && Array.isArray(s['enum']))
        properties[k] = { ...seen, enum: [...new Set([...(seen['enum'] as unknown[]), ...(s['enum'] as unknown[])])] };
      else properties[k] ??= s;
    }
  }
  const discriminators = Object.keys(properties).filter((k) =>
    variants.every((v) => Array.isArray((v['properties'] as Record<string, Schema>)[k]?.['enum'])),
  );
  return {
    type: 'object',
    properties,
    required: discriminators,
    oneOf: variants.map((v) => ({
      properties: Object.fromEntries(discriminators.map((k) => [k, { enum: (v['properties'] as Record<string, Schema>)[k]?.['enum'] }])),
      required: v['required'] ?? [],
    })),
  };
}

/** OpenAPI 3.0 / Kubernetes keywords in the JSON Schema form ajv checks (boolean exclusive bounds). */
export function toAjvSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toAjvSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(s)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') continue;
    out[key] = key === 'default' || key === 'enum' ? value : toAjvSchema(value);
  }
  if (s['exclusiveMinimum'] === true) {
    out['exclusiveMinimum'] = s['minimum'];
    delete out['minimum'];
  }
  if (s['exclusiveMaximum'] === true) {
    out['exclusiveMaximum'] = s['maximum'];
    delete out['maximum'];
  }
  return out;
}
