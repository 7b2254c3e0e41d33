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

/** Segments after which a Maven repository URL's path is the group path (`…/maven2/org/foo/…`). */
const REPOSITORY_ROOTS = new Set([
  'maven2',
  'maven',
  'm2',
  'public',
  'releases',
  'snapshots',
  'incrementals',
  'repository',
  'repositories',
  'content',
  'groups',
  'artifactory',
  'libs-release',
  'libs-snapshot',
]);

const DOWNLOAD = /^(?:\[INFO\] )?Download(?:ing|ed) from [^:]+: (\S+)/;

/** The artifact of a Maven `Downloading from <repo>: <url>` line, or undefined. */
export function parseDownload(text: string): Artifact | undefined {
  const match = DOWNLOAD.exec(text);
  if (!match) return undefined;
  const url = (match[1] as string).replace(/^[a-z]+:\/\/[^/]+\//, '');
  const parts = url.split('/');
  if (parts.length < 4) return undefined;
  const file = parts[parts.length - 1] as string;
  const version = parts[parts.length - 2] as string;
  const artifactId = parts[parts.length - 3] as string;
  if (!file.startsWith(`${artifactId}-`)) return undefined;
  let start = 0;
  for (let i = 0; i < parts.length - 3; i++) if (REPOSITORY_ROOTS.has(parts[i] as string)) start = i + 1;
  const group = parts.slice(start, parts.length - 3);
  if (group.length === 0) return undefined;
  const extension = file.slice(file.lastIndexOf('.') + 1);
  return { groupId: group.join('.'), artifactId, version, extension };
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
