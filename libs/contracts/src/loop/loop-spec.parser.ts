import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPath } from '../errors';
import { formatSpecError, parseLocatedYaml, type Locate, type SpecError } from '../yaml/located-yaml';
import { looksLikeIntent } from '../optimize/intent.parser';
import { completeFromIntent } from './loop-intent';
import { loopSpecSchema, type LoopSpec } from './loop-spec.schema';

export { formatSpecError, type SpecError } from '../yaml/located-yaml';

export type ParseLoopSpecResult = { ok: true; spec: LoopSpec } | { ok: false; errors: SpecError[] };

export interface LoopFileResult {
  file: string;
  ok: boolean;
  errors: SpecError[];
  spec?: LoopSpec;
}

/** Thrown by loadLoopSpecs: every error of every file, so one run shows everything to fix. */
export class LoopSpecError extends Error {
  readonly code = 'LOOP_SPEC_INVALID';
  readonly errors: SpecError[];

  constructor(errors: SpecError[]) {
    super(`invalid loop specs:\n${errors.map((e) => `  ${formatSpecError(e)}`).join('\n')}`);
    this.name = 'LoopSpecError';
    this.errors = errors;
  }
}

/**
 * Parses one loop spec (one YAML document) and maps every problem to its line and column. An
 * optimize loop's `intent` is read relative to `file` (the working directory for `<input>`).
 */
export function parseLoopSpec(text: string, file = '<input>'): ParseLoopSpecResult {
  return analyze(text, file).result;
}

function analyze(text: string, file: string): { result: ParseLoopSpecResult; locate: Locate } {
  const { result, locate } = parseLocatedYaml(text, file, loopSpecSchema, 'Loop', (data, at) => completeFromIntent(data, file, at));
  return { result: result.ok ? { ok: true, spec: result.value } : result, locate };
}

/** Validates loop files as `homeostat validate` does; also rejects two files declaring the same loop. */
export async function validateLoopFiles(paths: string[]): Promise<LoopFileResult[]> {
  const analyzed = await Promise.all(
    paths.map(async (file) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        const error: SpecError = { file, line: 0, column: 0, path: '', message: `cannot read file: ${reason}` };
        return { file, result: { ok: false, errors: [error] } as ParseLoopSpecResult, locate: undefined };
      }
      return { file, ...analyze(text, file) };
    }),
  );

  const declaredIn = new Map<string, string>();
  return analyzed.map(({ file, result, locate }): LoopFileResult => {
    if (!result.ok) return { file, ok: false, errors: result.errors };
    const name = result.spec.metadata.name;
    const other = declaredIn.get(name);
    if (other !== undefined && locate !== undefined) {
      const path = ['metadata', 'name'];
      const message = `loop "${name}" is already declared in ${other}`;
      return { file, ok: false, errors: [{ file, ...locate(path), path: formatPath(path), message }] };
    }
    declaredIn.set(name, file);
    return { file, ok: true, errors: [], spec: result.spec };
  });
}

/** Every `*.yaml` / `*.yml` loop in `dir` (intents there are skipped), in file-name order; throws LoopSpecError listing all errors. */
export async function loadLoopSpecs(dir: string): Promise<LoopSpec[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new LoopSpecError([{ file: dir, line: 0, column: 0, path: '', message: `cannot read directory: ${reason}` }]);
  }
  const yamlFiles = names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n));
  // The directory may hold the intents its optimize loops name (one ConfigMap for both): those are
  // read through the loops, not as loops.
  const files: string[] = [];
  for (const file of yamlFiles) {
    const head = await readFile(file, 'utf8').catch(() => '');
    if (!looksLikeIntent(head)) files.push(file);
  }
  const results = await validateLoopFiles(files);
  const errors = results.flatMap((r) => r.errors);
  if (errors.length > 0) throw new LoopSpecError(errors);
  return results.flatMap((r) => (r.spec === undefined ? [] : [r.spec]));
}
