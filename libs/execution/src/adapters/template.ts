/**
 * Templates in action parameters: `{{decision.id}}`, `{{incident.id}}`, `{{target}}`,
 * `{{fingerprint}}`, `{{action}}`, `{{loop}}` from the decision, and `${VAR}` / `${VAR:-default}`
 * from the executor's environment (so a spec can say `${SHOP_URL:-http://localhost:3000}/health`
 * and each installation points it at its own shop).
 */

/** The values a template may name, taken from the decision being executed. */
export interface TemplateContext {
  decisionId: string;
  incidentId: string;
  target: string;
  fingerprint: string;
  action: string;
  loop: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export class TemplateError extends Error {
  readonly code = 'TEMPLATE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER = /\{\{\s*([a-z.]+)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function placeholderValue(name: string, context: TemplateContext): string {
  switch (name) {
    case 'decision.id':
      return context.decisionId;
    case 'incident.id':
      return context.incidentId;
    case 'target':
      return context.target;
    case 'fingerprint':
      return context.fingerprint;
    case 'action':
      return context.action;
    case 'loop':
      return context.loop;
    default:
      throw new TemplateError(`unknown placeholder {{${name}}}: use decision.id, incident.id, target, fingerprint, action or loop`);
  }
}

/**
 * Substitutes every placeholder in `text`. `encode` applies to the decision's values only: in a
 * URL they are path or query segments and must be escaped, while an environment variable holds
 * a whole base URL that must stay as it is. A variable that is unset (or empty) without a
 * default is an error, never an empty string silently sent to a target.
 */
export function renderTemplate(
  text: string,
  context: TemplateContext,
  env: Environment,
  encode: (value: string) => string = (v) => v,
): string {
  return text.replace(PLACEHOLDER, (_match, name: string | undefined, variable: string | undefined, fallback: string | undefined) => {
    if (name !== undefined) return encode(placeholderValue(name, context));
    const value = env[variable as string];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new TemplateError(
      `environment variable ${variable as string} is not set and the template gives no default (\${${variable as string}:-default})`,
    );
  });
}

/** For URLs: the decision's values are percent-encoded, the environment's are not. */
export function renderUrl(text: string, context: TemplateContext, env: Environment): string {
  const rendered = renderTemplate(text, context, env, encodeURIComponent);
  try {
    return new URL(rendered).toString();
  } catch {
    throw new TemplateError(`"${rendered}" (from "${text}") is not an absolute URL`);
  }
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Substitutes inside every string of a JSON value (keys stay as written). Done on the value,
 * not on its serialization, so a substituted quote cannot break the JSON.
 */
export function renderJson(value: JsonValue, context: TemplateContext, env: Environment): JsonValue {
  if (typeof value === 'string') return renderTemplate(value, context, env);
  if (Array.isArray(value)) return value.map((v) => renderJson(v, context, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, context, env)]));
  }
  return value;
}
