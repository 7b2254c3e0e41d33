import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { formatPath } from '../errors';
import { intentSchema, type Intent } from '../optimize/intent.schema';
import { parseLocatedYaml, type Locate, type Path, type SpecError } from '../yaml/located-yaml';

/**
 * An optimize loop may name its platform's intent (`spec.optimize.intent`, a path relative to the
 * loop file) instead of repeating it: each route the loop tunes takes its facts — upstream,
 * idempotency, staleness allowed, SLO — from the intent's route of the same name, so the promise a
 * route makes is written once, where the platform's owners write it, and the loop adds only the
 * knob ranges its experiments may reach. A fact the loop states anyway must agree with the intent:
 * two sources that disagree about whether orders may be retried is a mistake to stop on, not a
 * precedence rule to apply silently.
 */
export const INTENT_FACTS = ['upstream', 'idempotent', 'maxStaleness', 'slo'] as const;

type Data = Record<string, unknown>;
const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Completes, in place, the routes of a loop document (plain data, before schema validation) from
 * the intent it names. Returns the problems found, each where a person fixes it: in the loop file
 * (unreadable path, unknown route, a contradicting fact) or in the intent file (its own errors).
 * A loop that names no intent, or is not an optimize loop, is left as it is.
 */
export function completeFromIntent(data: unknown, loopFile: string, locate: Locate): SpecError[] {
  const optimize = isObject(data) && isObject(data['spec']) ? data['spec']['optimize'] : undefined;
  if (!isObject(optimize) || typeof optimize['intent'] !== 'string' || optimize['intent'] === '') return [];
  const at = (path: Path, message: string, where: 'value' | 'key' = 'value'): SpecError => ({
    file: loopFile,
    ...locate(path, where),
    path: formatPath(path),
    message,
  });
  const intentPath = ['spec', 'optimize', 'intent'];
  const given = optimize['intent'];
  // '<input>' (text with no file): relative to the working directory, as a command's arguments are.
  const base = loopFile === '<input>' ? process.cwd() : dirname(resolve(loopFile));
  const intentFile = isAbsolute(given) ? given : resolve(base, given);

  let text: string;
  try {
    text = readFileSync(intentFile, 'utf8');
  } catch (e) {
    // fs errors are not `instanceof Error` across realms (jest's): read the message as a field.
    const reason = typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
    return [at(intentPath, `cannot read the intent ${intentFile}: ${reason}`)];
  }
  const parsed = parseLocatedYaml(text, intentFile, intentSchema, 'Intent');
  if (!parsed.result.ok) return parsed.result.errors;
  const intent: Intent = parsed.result.value;
  const where = (route: string, fact: string): string => {
    const { line, column } = parsed.locate(['spec', 'routes', route, fact]);
    return `${intentFile}:${line}:${column}`;
  };

  const routes = optimize['routes'];
  if (!isObject(routes)) return []; // the schema says what is wrong with it
  const errors: SpecError[] = [];
  const known = Object.keys(intent.spec.routes);
  for (const [name, route] of Object.entries(routes)) {
    const routePath = ['spec', 'optimize', 'routes', name];
    const promised = intent.spec.routes[name];
    if (promised === undefined) {
      errors.push(at(routePath, `route "${name}" is not in the intent ${intentFile} (its routes: ${known.join(', ') || 'none'})`, 'key'));
      continue;
    }
    if (!isObject(route)) continue;
    const facts: Record<(typeof INTENT_FACTS)[number], unknown> = {
      upstream: promised.upstream,
      idempotent: promised.idempotent,
      // The intent writes "always fresh" as 0 or 0s; a loop spec as 0s.
      maxStaleness: promised.maxStaleness === '0' ? '0s' : promised.maxStaleness,
      slo: { ...promised.slo },
    };
    for (const fact of INTENT_FACTS) {
      if (!(fact in route)) {
        route[fact] = facts[fact];
      } else if (!isDeepStrictEqual(route[fact], facts[fact])) {
        errors.push(at([...routePath, fact], `contradicts the intent: ${JSON.stringify(facts[fact])} at ${where(name, fact)}`));
      }
    }
    // Draining every replica of the upstream would leave the route nothing to serve it.
    const knobs = route['knobs'];
    const drain = isObject(knobs) && isObject(knobs['drainReplicas']) ? knobs['drainReplicas']['max'] : undefined;
    const replicas = intent.spec.upstreams[promised.upstream]?.replicas.length;
    if (typeof drain === 'number' && replicas !== undefined && drain >= replicas)
      errors.push(
        at(
          [...routePath, 'knobs', 'drainReplicas', 'max'],
          `must be below the ${replicas} replica(s) of upstream ${promised.upstream} in the intent: one must stay in balancing`,
        ),
      );
  }
  return errors;
}
