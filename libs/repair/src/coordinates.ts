/**
 * Dependency names as build logs show them: Maven coordinates (`groupId:artifactId[:type]:version`,
 * repository URLs of downloaded artifacts), Java packages of the classes an error names, npm
 * package names.
 */

export interface Artifact {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
  /** The downloaded file's extension: `jar` holds classes, `pom` is a parent or a BOM. */
  readonly extension: string;
}

/** Top-level domains: a Java package or group id that starts with one names its owner next. */
export const DOMAINS = new Set([
  'org',
  'com',
  'io',
  'net',
  'de',
  'fr',
  'ch',
  'nl',
  'uk',
  'be',
  'eu',
  'edu',
  'me',
  'dev',
  'info',
  'biz',
  'xyz',
  'co',
  'at',
  'se',
  'no',
  'jp',
  'cn',
  'ru',
  'it',
  'es',
  'pl',
  'br',
  'us',
  'ca',
  'au',
  'in',
  'gov',
  'mil',
  'tech',
  'app',
  'cloud',
  'ai',
]);

/** Segments after which a Maven repository URL's path is the group path (`…/maven2/org/foo/…`). */
const REPOSITORY_ROOTS = new Set([
  'maven2',
  'maven',
  'm2',
  'public',
  'releases',
  'snapshots',
  'incrementals',
  'repo',
  'libs-release',
  'libs-snapshot',
]);
/** Segments followed by a repository's name, then the group path: Nexus (`content/repositories/<name>/`, `content/groups/<name>/`, `repository/<name>/`), Artifactory (`artifactory/<name>/`). */
const NAMED_REPOSITORY_ROOTS = new Set(['repositories', 'groups', 'repository', 'artifactory']);

const DOWNLOAD = /^(?:\[INFO\] )?Download(?:ing|ed) from ([^:]+): (\S+)/;

/** The path segments of a download line's URL after its host, with the repository's id. */
function downloadPath(text: string): { repository: string; segments: string[] } | undefined {
  const match = DOWNLOAD.exec(text);
  if (!match) return undefined;
  const segments = (match[2] as string).replace(/^[a-z]+:\/\/[^/]+\//, '').split('/');
  return segments.length < 4 ? undefined : { repository: match[1] as string, segments };
}

/**
 * Where a repository's group paths start when nothing was learned about it: after the first root
 * segment, or after the name a named root is followed by; else at a top-level domain (a group
 * path has begun: `maven` in `org/apache/maven/` is no root).
 */
function guessedBase(segments: readonly string[]): number {
  const last = segments.length - 4;
  for (let i = 0; i <= last; i++) {
    const segment = segments[i] as string;
    if (DOMAINS.has(segment)) return i;
    if (NAMED_REPOSITORY_ROOTS.has(segment) && i + 1 <= last) return i + 2;
    if (REPOSITORY_ROOTS.has(segment)) return i + 1;
  }
  return 0;
}

function artifactAt(segments: readonly string[], base: number): Artifact | undefined {
  const file = segments[segments.length - 1] as string;
  const version = segments[segments.length - 2] as string;
  const artifactId = segments[segments.length - 3] as string;
  if (!file.startsWith(`${artifactId}-`)) return undefined;
  const group = segments.slice(base, segments.length - 3);
  if (group.length === 0) return undefined;
  const extension = file.slice(file.lastIndexOf('.') + 1);
  return { groupId: group.join('.'), artifactId, version, extension };
}

/** The artifact of a Maven `Downloading from <repo>: <url>` line, or undefined (the repository's layout guessed from its URL). */
export function parseDownload(text: string): Artifact | undefined {
  const path = downloadPath(text);
  return path && artifactAt(path.segments, guessedBase(path.segments));
}

/**
 * Reads download lines, learning where each repository's group paths start. Maven asks the
 * repositories for an artifact one after the other, so consecutive lines of two repositories
 * end with the same group path: what precedes it is each repository's base
 * (`nexus/content/repositories/central/` beside `maven2/`), whatever the server's layout.
 */
export class DownloadReader {
  private readonly bases = new Map<string, string[]>();
  private previous: { repository: string; segments: string[] } | undefined;

  read(text: string): Artifact | undefined {
    const path = downloadPath(text);
    if (!path) return undefined;
    if (text.includes('Downloading from ')) {
      if (this.previous && this.previous.repository !== path.repository) this.learn(this.previous, path);
      this.previous = path;
    }
    const learned = this.bases.get(path.repository);
    const base =
      learned !== undefined && path.segments.slice(0, learned.length).join('/') === learned.join('/') ? learned.length : undefined;
    return artifactAt(path.segments, base ?? guessedBase(path.segments));
  }

  private learn(a: { repository: string; segments: string[] }, b: { repository: string; segments: string[] }): void {
    let shared = 0;
    const [x, y] = [a.segments, b.segments];
    while (shared < x.length && shared < y.length && x[x.length - 1 - shared] === y[y.length - 1 - shared]) shared++;
    // The same file (name, version, artifactId) and at least one segment of group path.
    if (shared < 4 || shared === x.length || shared === y.length) return;
    // Both bases may end alike (`…/maven2/` of two mirrors): such a shared root belongs to them.
    let start = 0;
    while (start < shared - 4 && REPOSITORY_ROOTS.has(x[x.length - shared + start] as string)) start++;
    for (const { repository, segments } of [a, b]) {
      if (this.bases.has(repository) || this.bases.size >= 100) continue;
      this.bases.set(repository, segments.slice(0, segments.length - shared + start));
    }
  }
}

/** `g:a:v`, `g:a:type:v`, `g:a:type:classifier:v` (g holds a dot or a dash, as group ids do). */
const COORDINATES = /(?<![\w.:/]|[^+]-)([A-Za-z][\w-]*(?:\.[\w-]+)+):([A-Za-z][\w.-]*?)((?::[\w.+-]+){1,3})(?![\w.:/-])/g;

export interface CoordinateMention {
  readonly groupId: string;
  readonly artifactId: string;
  /** The part that holds a digit (`2.3.6` of `g:a:jar:2.3.6:compile`), or empty. */
  readonly version: string;
  readonly index: number;
}

/** Orders versions by their numeric parts (`1.42.10` > `1.42.3`), then as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}

export function findCoordinates(text: string): CoordinateMention[] {
  const found: CoordinateMention[] = [];
  COORDINATES.lastIndex = 0;
  for (let m = COORDINATES.exec(text); m; m = COORDINATES.exec(text)) {
    const rest = m[3] as string;
    // A version holds a digit, or is a property/keyword; "a:b:c" words without one are not coordinates.
    if (!/\d|SNAPSHOT|LATEST|RELEASE/.test(rest)) continue;
    const version = rest.split(':').find((part) => /\d/.test(part)) ?? '';
    found.push({ groupId: m[1] as string, artifactId: m[2] as string, version, index: m.index });
  }
  return found;
}

/** A jar in Maven's local repository (`…/.m2/repository/org/foo/bar/1.2/bar-1.2.jar`), as javac's `bad class file` and class loaders name it. */
const MAVEN_REPOSITORY_JAR = /\/\.m2\/repository\/((?:[\w-]+\/)+?)([\w.-]+)\/([\w.+-]+)\/\2-\3[\w.-]*\.jar\b/g;
/** A jar in Gradle's cache: `…/files-2.1/org.foo/bar/1.2/<sha1>/bar-1.2.jar`. */
const GRADLE_CACHE_JAR = /\/files-2\.1\/([\w.-]+)\/([\w.-]+)\/([\w.+-]+)\/[0-9a-f]+\/\2-\3[\w.-]*\.jar\b/g;

/** The artifacts of the jar files a line names by their path in a local repository: exact coordinates. */
export function findRepositoryJars(text: string): CoordinateMention[] {
  const found: CoordinateMention[] = [];
  if (!text.includes('.jar')) return found;
  MAVEN_REPOSITORY_JAR.lastIndex = 0;
  for (let m = MAVEN_REPOSITORY_JAR.exec(text); m; m = MAVEN_REPOSITORY_JAR.exec(text)) {
    const groupId = (m[1] as string).slice(0, -1).replace(/\//g, '.');
    found.push({ groupId, artifactId: m[2] as string, version: m[3] as string, index: m.index });
  }
  GRADLE_CACHE_JAR.lastIndex = 0;
  for (let m = GRADLE_CACHE_JAR.exec(text); m; m = GRADLE_CACHE_JAR.exec(text))
    found.push({ groupId: m[1] as string, artifactId: m[2] as string, version: m[3] as string, index: m.index });
  return found;
}

const QUALIFIED_CLASS = /(?<![\w.$/])((?:[a-z_][a-z0-9_]*[.])+)([A-Z][\w$]*)/g;
const SLASHED_CLASS = /(?<![\w$/.])((?:[a-z_][a-z0-9_]*\/){2,})([A-Z][\w$]*)/g;
const PACKAGE_MISSING = /package ((?:[a-z_][\w]*\.)*[a-z_][\w]*) does not exist|location: package ((?:[a-z_][\w]*\.)*[a-z_][\w]*)/g;
const STACK_FRAME = /^\s*at (?:[\w.$]+\/)?((?:[a-z_][\w$]*\.)+)[A-Z][\w$]*\./;
/** javac on a deprecated class names its package alone: `[deprecation] Foo in org.bar has been deprecated`. */
const DEPRECATED_IN_PACKAGE = /\bin ((?:[a-z_][\w]*\.)+[a-z_][\w]*) has been deprecated\b/;

export interface PackageMention {
  readonly name: string;
  /** `frame` (a stack frame), `missing` (package … does not exist), `class` (a class named in the text). */
  readonly kind: 'frame' | 'missing' | 'class';
}

/** Java packages named in a line: classes (dotted or slashed), missing packages, stack frames. */
export function findPackages(text: string): PackageMention[] {
  const found: PackageMention[] = [];
  const frame = STACK_FRAME.exec(text);
  if (frame) {
    found.push({ name: (frame[1] as string).slice(0, -1), kind: 'frame' });
    return found;
  }
  PACKAGE_MISSING.lastIndex = 0;
  for (let m = PACKAGE_MISSING.exec(text); m; m = PACKAGE_MISSING.exec(text))
    found.push({ name: (m[1] ?? m[2]) as string, kind: 'missing' });
  const deprecated = DEPRECATED_IN_PACKAGE.exec(text);
  if (deprecated) found.push({ name: deprecated[1] as string, kind: 'class' });
  // Paths of source files are the project's own code, not classes it uses.
  const withoutPaths = text.replace(/\S*\.(?:java|kt|groovy|scala)\b\S*/g, ' ');
  QUALIFIED_CLASS.lastIndex = 0;
  for (let m = QUALIFIED_CLASS.exec(withoutPaths); m; m = QUALIFIED_CLASS.exec(withoutPaths)) {
    const pkg = (m[1] as string).slice(0, -1);
    if (pkg.includes('.')) found.push({ name: pkg, kind: 'class' });
  }
  SLASHED_CLASS.lastIndex = 0;
  for (let m = SLASHED_CLASS.exec(withoutPaths); m; m = SLASHED_CLASS.exec(withoutPaths)) {
    found.push({ name: (m[1] as string).slice(0, -1).replace(/\//g, '.'), kind: 'class' });
  }
  return found;
}

/** The package of each source file a line names (`…/src/main/java/org/foo/Bar.java` → `org.foo`). */
export function sourcePackages(text: string): string[] {
  const found: string[] = [];
  const re = /\/src\/(?:main|test|it|[\w-]+)\/(?:java|kotlin|groovy|scala)\/((?:[\w$]+\/)*)[\w$]+\.(?:java|kt|groovy|scala)\b/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const dir = (m[1] as string).replace(/\/$/, '');
    if (dir) found.push(dir.replace(/\//g, '.'));
  }
  return found;
}

/** npm package names in npm's and Node's error lines. */
export function findNpmPackages(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /EBADENGINE Unsupported engine for ((?:@[\w.-]+\/)?[\w.-]+)@/,
    /Not compatible with your version of node\/npm: ((?:@[\w.-]+\/)?[\w.-]+)@/,
    /\bpackage: '((?:@[\w.-]+\/)?[\w.-]+)@/,
    /Cannot find module '((?:@[\w.-]+\/)?[\w.-]+)[^']*'/,
    /While resolving: ((?:@[\w.-]+\/)?[\w.-]+)@/,
    /Could not resolve dependency:\s*$/,
    /peer ((?:@[\w.-]+\/)?[\w.-]+)@"/,
    /Found: ((?:@[\w.-]+\/)?[\w.-]+)@\d/,
    /No matching version found for ((?:@[\w.-]+\/)?[\w.-]+)@/,
    /404 Not Found - GET \S+\/((?:@[\w.-]+(?:%2f|\/))?[\w.-]+)\s/i,
  ];
  for (const p of patterns) {
    const m = p.exec(text);
    if (m?.[1] && !m[1].startsWith('.')) found.push(m[1].replace(/%2f/i, '/'));
  }
  return found;
}

const TEST_CLASS = /(?<![\w.$])((?:[a-z_][\w]*\.)+)[A-Z][\w$]*(?:Test|Tests|IT|TestCase|Spec|Suite)\b/g;

/** Packages of test classes a line names (`Running org.foo.BarTest`): the project's own code. */
export function testClassPackages(text: string): string[] {
  const found: string[] = [];
  TEST_CLASS.lastIndex = 0;
  for (let m = TEST_CLASS.exec(text); m; m = TEST_CLASS.exec(text)) found.push((m[1] as string).slice(0, -1));
  return found;
}
