import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { describeZodIssue, formatPath } from '../errors';

/** A problem in a spec file (a loop, an intent), where a person finds it: file, line, column, field. */
export interface SpecError {
  file: string;
  /** 1-based; 0 when the error is about the file as a whole (e.g. it cannot be read). */
  line: number;
  column: number;
  /** Dotted path into the spec, e.g. `spec.actions[1].risk`; `''` for the document. */
  path: string;
  message: string;
}

export function formatSpecError(e: SpecError): string {
  return `${e.file}:${e.line}:${e.column}  ${e.path || '<root>'}  ${e.message}`;
}

export type Path = readonly PropertyKey[];
/** Line and column of the node at a path of the document (its key with `at: 'key'`). */
export type Locate = (path: Path, at?: 'value' | 'key') => { line: number; column: number };

export type LocatedParseResult<T> = { ok: true; value: T } | { ok: false; errors: SpecError[] };

/**
 * Runs on the document's plain data before the schema does, and may complete it in place (e.g. a
 * loop's routes from the intent it names); errors it returns stop the parse.
 */
export type Prepare = (data: unknown, locate: Locate) => SpecError[];

/**
 * Parses one YAML document (JSON is YAML too) against a zod schema and maps every problem — a
 * syntax error, a second document, a schema issue, an unknown field — to its line and column.
 * The loop specs and the optimize loop's intents are both read through it, so `homeostat validate`
 * reports them alike. `locate` stays usable for checks made after parsing (e.g. across files).
 */
export function parseLocatedYaml<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  what: string,
  prepare?: Prepare,
): { result: LocatedParseResult<z.output<S>>; locate: Locate } {
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
    return failure([{ file, line: 1, column: 1, path: '', message: `empty file: expected one ${what} document` }]);
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
        message: `one ${what.toLowerCase()} per file: found ${documents.length} YAML documents`,
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
  if (prepare !== undefined) {
    const errors = prepare(data, locate);
    if (errors.length > 0) return failure(errors, locate);
  }
  const parsed = schema.safeParse(data, { reportInput: true });
  if (parsed.success) return { result: { ok: true, value: parsed.data }, locate };
  return failure(
    parsed.error.issues.flatMap((issue) => issueToSpecErrors(issue, file, locate)),
    locate,
  );
}

export function issueToSpecErrors(issue: z.core.$ZodIssue, file: string, locate: Locate): SpecError[] {
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
