import { parseLoopSpec } from '../loop/loop-spec.parser';
import type { LoopSpec } from '../loop/loop-spec.schema';

export interface RepairLoopOptions {
  /** metadata.name; default `app-repair`. */
  name?: string;
  /** spec.target.service; default `app`. */
  service?: string;
  /** Action names, each on the `ci` adapter at low risk; default `[revert-update]`. */
  actions?: readonly string[];
  maxActions?: number;
  consecutiveFailures?: number;
  /** verification.deadline; default `5m`. */
  deadline?: string;
  /** The `repair:` block's fields as YAML lines (without indentation); default none (`repair: {}`). */
  repair?: readonly string[];
}

/**
 * A loop of kind `repair` for tests, as YAML: what each test varies is named, the rest is the same
 * permissive guardrails (no cooldown, no approval, one action at a time) every repair test wants.
 */
export function repairLoopYaml(options: RepairLoopOptions = {}): string {
  const actions = (options.actions ?? ['revert-update']).map((name) => `    - { name: ${name}, adapter: ci, risk: low }`);
  const repair = options.repair?.length ? `\n${options.repair.map((line) => `    ${line}`).join('\n')}` : ' {}';
  return `apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: ${options.name ?? 'app-repair'}, version: 1.0.0 }
spec:
  kind: repair
  target: { service: ${options.service ?? 'app'} }
  signals: [{ kind: build, pipeline: ci }]
  actions:
${actions.join('\n')}
  guardrails:
    budget: { maxActions: ${options.maxActions ?? 3}, window: 1h }
    cooldown: 0s
    blastRadius: { maxConcurrent: 1 }
    circuitBreaker: { consecutiveFailures: ${options.consecutiveFailures ?? 3} }
    approval: { aboveRisk: never }
    dryRun: false
  verification: { deadline: ${options.deadline ?? '5m'} }
  repair:${repair}
`;
}

/** {@link repairLoopYaml}, parsed; a test's invalid loop throws with the parser's errors. */
export function repairLoopSpec(options: RepairLoopOptions = {}): LoopSpec {
  const text = repairLoopYaml(options);
  const parsed = parseLoopSpec(text, 'repair-loop.yaml');
  if (!parsed.ok) throw new Error(`the test's repair loop is invalid: ${JSON.stringify(parsed.errors)}\n${text}`);
  return parsed.spec;
}
