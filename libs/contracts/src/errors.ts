import type { z } from 'zod';

export interface ContractIssue {
  /** Dotted path into the message, e.g. `data.spans[0].traceId`; `''` for the message itself. */
  path: string;
  message: string;
}

/** A message or value that does not satisfy its contract. Consumers dead-letter it; they never retry it. */
export class ContractViolation extends Error {
  readonly code = 'CONTRACT_VIOLATION';
  readonly issues: ContractIssue[];

  constructor(issues: ContractIssue[], summary = 'contract violation') {
    super(`${summary}: ${issues.map((i) => `${i.path || '<root>'}: ${i.message}`).join('; ')}`);
    this.name = 'ContractViolation';
    this.issues = issues;
  }

  static fromZod(error: z.ZodError, prefix: readonly PropertyKey[] = [], summary?: string): ContractViolation {
    return new ContractViolation(
      error.issues.flatMap((issue) => zodIssueToContractIssues(issue, prefix)),
      summary,
    );
  }
}

/** `['data', 'spans', 0, 'traceId']` -> `data.spans[0].traceId` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function zodIssueToContractIssues(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): ContractIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown field' }));
  }
  return [{ path: formatPath(path), message: describeZodIssue(issue) }];
}

/** Zod's message, except that a missing value says so plainly (needs `reportInput: true` at parse time). */
export function describeZodIssue(issue: z.core.$ZodIssue): string {
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_value') && 'input' in issue && issue.input === undefined;
  return missing ? 'required field is missing' : issue.message;
}

/**
 * `schema.safeParse(value, { reportInput: true })`, as describeZodIssue needs it, at the price of
 * a plain parse when the value is valid: reporting inputs makes every parse slower (about twice
 * for an envelope), though only a failed one uses them, so a failure is parsed a second time.
 */
export function safeParseReporting<T extends z.ZodType>(schema: T, value: unknown): z.ZodSafeParseResult<z.output<T>> {
  const quick = schema.safeParse(value);
  return quick.success ? quick : schema.safeParse(value, { reportInput: true });
}
