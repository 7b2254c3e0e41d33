import { readFile } from 'node:fs/promises';
import { parseLocatedYaml, type SpecError } from '../yaml/located-yaml';
import { intentSchema, type Intent } from './intent.schema';

export type ParseIntentResult = { ok: true; intent: Intent } | { ok: false; errors: SpecError[] };

/** Parses one intent (YAML or JSON) and maps every problem to its file, line and column. */
export function parseIntent(text: string, file = '<input>'): ParseIntentResult {
  const { result } = parseLocatedYaml(text, file, intentSchema, 'Intent');
  return result.ok ? { ok: true, intent: result.value } : result;
}

/** Reads and parses an intent file; an unreadable file is an error at line 0. */
export async function readIntentFile(file: string): Promise<ParseIntentResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return {
      ok: false,
      errors: [{ file, line: 0, column: 0, path: '', message: `cannot read file: ${e instanceof Error ? e.message : String(e)}` }],
    };
  }
  return parseIntent(text, file);
}

/** `kind: Intent` at the top of a YAML or JSON document, without parsing the rest: how `homeostat validate` tells intents from loops. */
export function looksLikeIntent(text: string): boolean {
  return /^\s*kind\s*:\s*["']?Intent["']?\s*$/m.test(text) || /"kind"\s*:\s*"Intent"/.test(text);
}
