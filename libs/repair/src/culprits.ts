import type { Artifact } from './coordinates';

/** A dependency blamed for a failure, with its share of the evidence in (0, 1]. */
export interface Culprit {
  readonly name: string;
  readonly score: number;
}

/** Top-level domains: a Java package or group id that starts with one names its owner next. */
const DOMAINS = new Set([
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

/** The platform and the test harness: in a stack trace they surround the code that failed. */
const PLATFORM =
  /^(?:java|javax\.(?:net|crypto|security|lang|naming|management|script|sql|swing|tools|imageio|print|sound|accessibility|rmi)|jdk|sun|com\.sun\.(?:proxy|tools|net)|kotlin|scala\.runtime|groovy\.lang|org\.codehaus\.groovy\.runtime|org\.junit|junit|org\.testng|org\.opentest4j|org\.apache\.maven|org\.gradle|worker\.org\.gradle|org\.eclipse\.jdt\.internal\.junit|com\.intellij)(?:\.|$)/;
/** Assertion libraries: at the top of a failed assertion's trace, they report it and did not cause it. */
const ASSERTIONS =
  /^(?:org\.assertj|org\.hamcrest|com\.google\.common\.truth|org\.skyscreamer|net\.javacrumbs\.jsonunit|org\.xmlunit)(?:\.|$)/;

export function isPlatformPackage(pkg: string): boolean {
  return PLATFORM.test(pkg);
}
export function isAssertionPackage(pkg: string): boolean {
  return ASSERTIONS.test(pkg);
}

/** Owners that hold many unrelated projects: `org.apache.commons` is not one project. */
const UMBRELLAS = new Set([
  'apache',
  'eclipse',
  'google',
  'jboss',
  'springframework',
  'codehaus',
  'ow2',
  'jenkins-ci',
  'jenkinsci',
  'mozilla',
  'glassfish',
  'github',
  'gitlab',
  'sun',
  'oracle',
  'microsoft',
  'amazonaws',
  'fasterxml',
  'hibernate',
  'jetbrains',
]);

/** How many leading segments name a package's owner: `org.apache.mina` (3), `quickfix.mina` (2). */
function ownerDepth(segments: readonly string[]): number {
  return DOMAINS.has(segments[0] ?? '') ? 3 : 2;
}

/** The project's own code, as package roots (`fr.inria.astor.core`): a dependency is never one. */
export class OwnPackages {
  private readonly roots = new Set<string>();

  add(pkg: string): void {
    if (this.roots.size >= 1000) return;
    const segments = pkg.split('.');
    // Under an umbrella (org.apache.commons.codec) the project is one level deeper than its owner.
    const depth = ownerDepth(segments) + (UMBRELLAS.has(segments[1] ?? '') && DOMAINS.has(segments[0] ?? '') ? 1 : 0);
    if (segments.length >= 2) this.roots.add(segments.slice(0, Math.min(segments.length, depth)).join('.'));
  }

  has(pkg: string): boolean {
    const segments = pkg.split('.');
    for (let i = segments.length; i >= 1; i--) if (this.roots.has(segments.slice(0, i).join('.'))) return true;
    return false;
  }
}

/** The artifacts a build fetched or named, indexed by group, so a Java package can be named by its artifact. */
export class ArtifactIndex {
  private readonly byGroup = new Map<string, Set<string>>();
  private size = 0;

  constructor(private readonly limit = 50_000) {}

  /** Records an artifact that holds classes (a jar the build fetched, or one an error names). */
  add(groupId: string, artifactId: string): void {
    let artifacts = this.byGroup.get(groupId);
    if (!artifacts) {
      if (this.size >= this.limit) return;
      artifacts = new Set();
      this.byGroup.set(groupId, artifacts);
    }
    if (!artifacts.has(artifactId) && this.size < this.limit) {
      artifacts.add(artifactId);
      this.size++;
    }
  }

  /**
   * The dependency a Java package belongs to, as `groupId:artifactId` when the build fetched an
   * artifact of a group that owns the package (the group is a prefix of the package, or its parent
   * is and an artifact is named after the package's next segment: `com.fasterxml.jackson.core` +
   * `jackson-databind` own `com.fasterxml.jackson.databind`); otherwise the package's owner prefix
   * (`org.apache.mina` for `org.apache.mina.filter.ssl`).
   */
  nameOf(pkg: string): string {
    const segments = pkg.split('.');
    let best: { name: string; strength: number } | undefined;
    for (let depth = Math.min(segments.length, 6); depth >= 2; depth--) {
      const group = segments.slice(0, depth).join('.');
      const artifacts = this.byGroup.get(group);
      if (artifacts) {
        const artifact = pickArtifact(artifacts, segments.slice(depth - 1));
        if (artifact !== undefined) {
          best = { name: `${group}:${artifact}`, strength: depth };
          break;
        }
      }
    }
    // The parent-group rule, tried where the direct rule found nothing as deep.
    for (let depth = Math.min(segments.length, 5); depth >= 2; depth--) {
      if (best && best.strength >= depth + 0.5) break;
      const parent = segments.slice(0, depth).join('.');
      const next = segments[depth];
      if (next === undefined) continue;
      for (const [group, artifacts] of this.byGroup) {
        if (!group.startsWith(`${parent}.`) || group.split('.').length !== depth + 1) continue;
        for (const artifact of artifacts) {
          if (artifact.split(/[-.]/).includes(next) && (!best || best.strength < depth + 0.5)) {
            best = { name: `${group}:${artifact}`, strength: depth + 0.5 };
          }
        }
      }
    }
    if (best) return best.name;
    return segments.slice(0, Math.min(segments.length, ownerDepth(segments))).join('.');
  }

  /** Imported BOMs are recorded separately by the caller; this only answers whether a group is known. */
  hasGroup(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }
}

/**
 * The artifact of a group that most likely holds a package: the one named after the package's
 * segments below the group; else the group's main artifact (`core`, `api`, or named like the group's
 * last segment); else the shortest name. BOMs, parents and plugins hold no classes.
 */
function pickArtifact(artifacts: ReadonlySet<string>, below: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -Infinity;
  const last = below[0] ?? '';
  for (const artifact of artifacts) {
    if (isBomName(artifact) || /(?:^|-)(?:parent|plugin|maven-plugin|build-tools)$/.test(artifact)) continue;
    const tokens = artifact.split(/[-.]/);
    let score = 0;
    for (const [i, segment] of below.entries()) if (i > 0 && tokens.includes(segment)) score += 3;
    if (tokens.includes(last)) score += 1;
    if (tokens.includes('core') || tokens.includes('api')) score += 0.5;
    score -= artifact.length / 100;
    if (score > bestScore) {
      bestScore = score;
      best = artifact;
    }
  }
  return best;
}

/** A bill of materials by the naming conventions of Maven and Gradle platforms. */
export function isBomName(artifactId: string): boolean {
  return /(?:^|[-.])(?:bom|dependencies|platform)(?:[-.]|$)/.test(artifactId);
}

/** Evidence for culprits: a name and its weight, summed per name. */
export class CulpritTally {
  private readonly weights = new Map<string, number>();

  add(name: string, weight: number): void {
    if (weight <= 0 || name === '') return;
    if (!this.weights.has(name) && this.weights.size >= 10_000) return;
    this.weights.set(name, (this.weights.get(name) ?? 0) + weight);
  }

  get isEmpty(): boolean {
    return this.weights.size === 0;
  }

  clear(): void {
    this.weights.clear();
  }

  entries(): IterableIterator<[string, number]> {
    return this.weights.entries();
  }

  maxWeight(): number {
    let max = 0;
    for (const w of this.weights.values()) max = Math.max(max, w);
    return max;
  }

  /** Ranked by weight (ties by name), scored by share of the total evidence. */
  ranked(limit = 10): Culprit[] {
    const total = [...this.weights.values()].reduce((a, b) => a + b, 0);
    return [...this.weights.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, limit)
      .map(([name, weight]) => ({ name, score: Math.round((weight / total) * 1000) / 1000 }));
  }
}

export type { Artifact };
