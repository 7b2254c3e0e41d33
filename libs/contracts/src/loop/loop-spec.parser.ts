import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { describeZodIssue, formatPath } from '../errors';
import { loopSpecSchema, type LoopSpec } from './loop-spec.schema';

export interface SpecError {
  file: string;
  /** 1-based; 0 when the error is about the file as a whole (e.g. it cannot be read). */
  line: number;
  column: number;
  /** Dotted path into the spec, e.g. `spec.actions[1].risk`; `''` for the document. */
  path: string;
  message: string;
}

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

export function formatSpecError(e: SpecError): string {
  return `${e.file}:${e.line}:${e.column}  ${e.path || '<root>'}  ${e.message}`;
}

type Path = readonly PropertyKey[];
type Locate = (path: Path, at?: 'value' | 'key') => { line: number; column: number };

/** Parses one loop spec (one YAML document) and maps every problem to its line and column. */
export function parseLoopSpec(text: string, file = '<input>'): ParseLoopSpecResult {
  return analyze(text, file).result;
}

function analyze(text: string, file: string): { result: ParseLoopSpecResult; locate: Locate } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const position = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const noLocate: Locate = () => ({ line: 1, column: 1 });
  const failure = (errors: SpecError[], locate: Locate = noLocate) => ({
    result: { ok: false as const, errors: sortErrors(errors) },
    locate,
  });

  const documents: Document[] = Array.from(docs);
  const first = documents[0];
  if (first === undefined) {
    return failure([{ file, line: 1, column: 1, path: '', message: 'empty file: expected one Loop document' }]);
  }
  const syntaxErrors = documents.flatMap((doc) =>
    doc.errors.map((err) => ({ file, ...position(err.pos[0]), path: '', message: firstLine(err.message) })),
  );
  if (syntaxErrors.length > 0) return failure(syntaxErrors);
  const second = documents[1];
  if (second !== undefined) {
    const start = second.range?.[0] ?? 0;
    return failure([
      {
        file,
        ...position(start),
        path: '',
        message: `one loop per file: found ${documents.length} YAML documents`,
      },
    ]);
  }

  const locate: Locate = (path, at = 'value') => position(offsetOf(first, path, at));
  let data: unknown;
  try {
    data = first.toJS();
  } catch (e) {
    return failure([{ file, line: 1, column: 1, path: '', message: e instanceof Error ? e.message : String(e) }]);
  }
  const parsed = loopSpecSchema.safeParse(data, { reportInput: true });
  if (parsed.success) return { result: { ok: true, spec: parsed.data }, locate };
  return failure(
    parsed.error.issues.flatMap((issue) => issueToSpecErrors(issue, file, locate)),
    locate,
  );
}

function issueToSpecErrors(issue: z.core.$ZodIssue, file: string, locate: Locate): SpecError[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return { file, ...locate(path, 'key'), path: formatPath(path), message: 'unknown field' };
    });
  }
  return [{ file, ...locate(issue.path), path: formatPath(issue.path), message: describeZodIssue(issue) }];
}

/**
 * Offset of the YAML node at `path`. Where the path leaves the document (a missing key), the answer is
 * the line that declares the parent mapping: its key (`guardrails:`), or for a list item its first line.
 */
function offsetOf(doc: Document, path: Path, at: 'value' | 'key'): number {
  let node: unknown = doc.contents;
  let declaredAt: number | undefined = rangeStart(node);
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) return declaredAt ?? rangeStart(node) ?? 0;
      const keyAt = rangeStart(pair.key) ?? declaredAt ?? 0;
      if (last && at === 'key') return keyAt;
      const valueAt = rangeStart(pair.value);
      if (valueAt === undefined) return keyAt;
      node = pair.value;
      declaredAt = keyAt;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      const itemAt = rangeStart(item);
      if (itemAt === undefined) return declaredAt ?? rangeStart(node) ?? 0;
      node = item;
      declaredAt = itemAt;
    } else {
      break;
    }
  }
  return rangeStart(node) ?? declaredAt ?? 0;
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0];
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}

function sortErrors(errors: SpecError[]): SpecError[] {
  return [...errors].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
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

/** Every `*.yaml` / `*.yml` loop in `dir`, in file-name order; throws LoopSpecError listing all errors. */
export async function loadLoopSpecs(dir: string): Promise<LoopSpec[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new LoopSpecError([{ file: dir, line: 0, column: 0, path: '', message: `cannot read directory: ${reason}` }]);
  }
  const files = names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n));
  const results = await validateLoopFiles(files);
  const errors = results.flatMap((r) => r.errors);
  if (errors.length > 0) throw new LoopSpecError(errors);
  return results.flatMap((r) => (r.spec === undefined ? [] : [r.spec]));
}
