/**
 * The kind of a build failure, from its reason lines. The vocabulary:
 * - `lock-file`: a lock file out of date or violated (dependency-lock-maven-plugin, `npm ci` on a
 *   package-lock.json that does not match package.json, a frozen yarn/pnpm lockfile);
 * - `toolchain`: the runtime or compiler version does not fit (npm `EBADENGINE`, an unsupported
 *   class file version or `--release`, a dependency that requires a newer platform);
 * - `dependency-resolution`: a dependency cannot be found or resolved (Maven `Could not resolve
 *   dependencies`, npm `ERESOLVE`/`ETARGET`/`E404`, `Cannot find module`);
 * - `dependency-constraint`: resolution worked but a rule on the dependency graph fails (Maven
 *   enforcer: upper bounds, convergence, banned dependencies; Jenkins' plugin requirements);
 * - `lint`: style or static checks, warnings treated as errors (Checkstyle, Spotless, PMD,
 *   `-Werror`, ESLint, API-compatibility checkers);
 * - `compilation`: the compiler rejects the code;
 * - `test`: the code builds and tests fail;
 * - `infrastructure`: the machine or the network failed (timeouts, connection resets, disk, memory,
 *   a killed process) — worth a retry;
 * - `unknown`: none of the above.
 * When several match, the first in this order wins: what makes the others happen comes first (a
 * toolchain mismatch shows as compilation errors, not the other way round).
 */
export const FAILURE_CATEGORIES = [
  'lock-file',
  'toolchain',
  'dependency-resolution',
  'dependency-constraint',
  'lint',
  'compilation',
  'test',
  'infrastructure',
  'unknown',
] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

const RULES: ReadonlyArray<readonly [Exclude<FailureCategory, 'unknown'>, RegExp]> = [
  [
    'lock-file',
    /dependency-lock-maven-plugin|lock ?file .*(?:out of (?:date|sync)|needs to be updated|not up to date)|npm ci` can only install packages when your package\.json and package-lock|frozen-lockfile|lockfile would have been (?:modified|created)|ERR_PNPM_OUTDATED_LOCKFILE/i,
  ],
  [
    'toolchain',
    /EBADENGINE|Unsupported engine|unsupported class file (?:major )?version|has been compiled by a more recent version of the Java Runtime|(?:release|source|target) version \d+ not supported|invalid (?:target|source) release|requires (?:Java|JDK|Node(?:\.js)?) \d|UnsupportedClassVersionError|The engine "node" is incompatible/i,
  ],
  [
    'dependency-resolution',
    /Could not resolve dependencies|could not be resolved|Some problems were encountered while processing the POMs|Could not find artifact|Non-resolvable (?:parent|import)|ERESOLVE|ETARGET|E404|No matching version found|Cannot find module|Could not resolve all (?:files|dependencies)|Could not find [\w.-]+:[\w.-]+/i,
  ],
  [
    'dependency-constraint',
    /maven-enforcer-plugin|RequireUpperBoundDeps|Require upper bound|DependencyConvergence|Dependency convergence|BannedDependencies|maven-hpi-plugin|requires Jenkins/i,
  ],
  [
    'lint',
    /maven-checkstyle-plugin|checkstyle|spotless|maven-pmd-plugin|PMD Failure|warnings found and -Werror specified|-Werror|animal-sniffer|revapi|japicmp|eslint|prettier|ktlint|detekt|forbiddenapis|license-maven-plugin/i,
  ],
  [
    'compilation',
    /COMPILATION ERROR|Compilation failure|maven-compiler-plugin[^ ]*:(?:test)?[Cc]ompile|cannot find symbol|package \S+ does not exist|incompatible types|error TS\d+|\.(?:java|kt|scala|groovy):\d+: error:|\.(?:java|kt):\[\d+,\d+\] |Compilation failed|Execution failed for task '[^']*compile|takari-lifecycle-plugin.*:compile/i,
  ],
  [
    'test',
    /There (?:are|were) test failures|Tests run:.*(?:Failures|Errors): [1-9]|maven-surefire-plugin|maven-failsafe-plugin|<<< (?:FAILURE|ERROR)!|There were failing tests|> .* FAILED$|Test(?:s)? failed|AssertionError|expected:? ?<|Execution failed for task '[^']*test|^not ok \d+ - |ERR_ASSERTION/i,
  ],
  [
    'infrastructure',
    /timed? ?out|Connection (?:reset|refused|timed out)|No space left on device|OutOfMemoryError|Killed|ETIMEDOUT|ECONNRESET|EAI_AGAIN|503 Service Unavailable|Could not transfer artifact|Read timed out|The runner has received a shutdown signal/i,
  ],
];

/** The category of a failure from its reason lines (cleaned text). */
export function categorize(reasonLines: readonly string[]): FailureCategory {
  const hit = new Set<FailureCategory>();
  for (const line of reasonLines) {
    for (const [category, pattern] of RULES) if (!hit.has(category) && pattern.test(line)) hit.add(category);
  }
  for (const category of FAILURE_CATEGORIES) if (hit.has(category)) return category;
  return 'unknown';
}
