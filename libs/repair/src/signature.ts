import type { FailureCategory } from './category';

/**
 * The template of an error line: what stays the same when the same kind of failure happens in
 * another repository. Tool prefixes, paths, URLs, coordinates, versions, numbers, quoted text and
 * every token that is not a plain lower-case word (class, method and module names, identifiers of
 * the project) become `*`; runs of `*` collapse.
 */
export function errorTemplate(text: string): string {
  const words = text
    .replace(/^\s*(?:\[(?:ERROR|FATAL|WARNING|INFO)\]|npm (?:ERR!|error|warn)|##\[error\]|e:|>)\s*/i, '')
    .replace(/\b\w+:\/\/\S+/g, ' * ')
    .replace(/\S*[/\\]\S*/g, ' * ')
    .replace(/(["'`‘’]).*?\1/g, ' * ')
    .replace(/\b(on project|in module|for project) \S+/gi, '$1 * ')
    .split(/\s+/);
  const kept: string[] = [];
  for (const raw of words) {
    if (raw === '') continue;
    // The message's first word may be capitalised ("Failed", "Tests", "Re-run"); elsewhere a
    // capital makes a name (Flyway, SslFilter).
    let word = raw.replace(/[,;:.()[\]{}!]+$/g, '').replace(/^[([{]+/, '');
    if (kept.length === 0) word = word.replace(/^[A-Z](?=[a-z]+(?:-[a-z]+)*$)/, (c) => c.toLowerCase());
    const token = /^[a-z]+(?:-[a-z]+)*$/.test(word) && word.length <= 24 ? word : '*';
    if (token === '*' && kept[kept.length - 1] === '*') continue;
    kept.push(token);
  }
  while (kept[0] === '*') kept.shift();
  while (kept[kept.length - 1] === '*') kept.pop();
  return kept.join(' ');
}

/** Maven's and CI's lines that say how to get help, not what failed. */
const BOILERPLATE =
  /^(?:|\*|-> \* help \*|to see the full stack trace.*|re-run .*|for more information about the errors.*|after correcting the problems.*|help \*|mvn .*|build step .* marked build as failure|compilation error|compilation failure|there are test failures.*|please refer to .*|\* help \*|tests run|run \* failures|the following .* occurred|see .* for the individual test results.*|error|results|failed tests|tests in error)$/;

/** Lines that summarise (the goal that failed, test counts, a rule's banner) rather than say what failed. */
const SUMMARY =
  /^(?:failed to execute goal|tests run|elapsed \* s|time elapsed|rule \* failed with message|failed while enforcing|there (?:are|were) test failures|the build could not read|some problems were encountered|compilation failure|errors|failures)\b/;

/** Whether a template carries information about the failure (not help text or a bare banner). */
export function isInformative(template: string): boolean {
  return template.split(' ').filter((w) => w !== '*').length >= 2 && !BOILERPLATE.test(template);
}

/**
 * `category: headline`, where the headline is the first informative template of the reason lines
 * other than Maven's `Failed to execute goal` line (which names the plugin, not the error), or that
 * line's own template when there is no other.
 */
export function failureSignature(category: FailureCategory, templates: readonly string[]): string {
  const informative = templates.filter(isInformative);
  const headline = informative.find((t) => !SUMMARY.test(t)) ?? informative[0] ?? '';
  return headline === '' ? category : `${category}: ${headline}`;
}
