import { DOMAINS, compareVersions, type Artifact } from './coordinates';

/** A dependency blamed for a failure, with its share of the evidence in (0, 1]. */
export interface Culprit {
  readonly name: string;
  readonly score: number;
}

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
  private readonly sources = new Set<string>();

  add(pkg: string): void {
    if (this.sources.size < 1000) this.sources.add(pkg);
    if (this.roots.size >= 1000) return;
    const segments = pkg.split('.');
    // Under an umbrella (org.apache.commons.codec) the project is one level deeper than its owner.
    const depth = ownerDepth(segments) + (UMBRELLAS.has(segments[1] ?? '') && DOMAINS.has(segments[0] ?? '') ? 1 : 0);
    if (segments.length >= 2) this.roots.add(segments.slice(0, Math.min(segments.length, depth)).join('.'));
  }

  /** Whether a package is one the project's own sources are in (or below one): stricter than `has`. */
  holds(pkg: string): boolean {
    const segments = pkg.split('.');
    for (let i = segments.length; i >= 1; i--) if (this.sources.has(segments.slice(0, i).join('.'))) return true;
    return false;
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
  /** Groups by their first two segments, the least a group shares with a package it owns. */
  private readonly byPrefix = new Map<string, string[]>();
  /** `groupId:artifactId` by the words of the artifactId, for packages outside their group (`org.h2` in `com.h2database:h2`). */
  private readonly byWord = new Map<string, string[]>();
  /** The newest version of each `groupId:artifactId` fetched as a jar. */
  private readonly newest = new Map<string, string>();
  private size = 0;

  constructor(private readonly limit = 50_000) {}

  /** Records an artifact that holds classes (a jar the build fetched, or one an error names), with the version fetched if known. */
  add(groupId: string, artifactId: string, version?: string): void {
    this.addVersion(groupId, artifactId, version);
    let artifacts = this.byGroup.get(groupId);
    if (!artifacts) {
      if (this.size >= this.limit) return;
      artifacts = new Set();
      this.byGroup.set(groupId, artifacts);
      const prefix = groupId.split('.').slice(0, 2).join('.');
      const groups = this.byPrefix.get(prefix);
      if (groups) groups.push(groupId);
      else this.byPrefix.set(prefix, [groupId]);
    }
    if (!artifacts.has(artifactId) && this.size < this.limit) {
      artifacts.add(artifactId);
      this.size++;
      for (const word of artifactWords(artifactId)) {
        const named = this.byWord.get(word);
        if (named) named.push(`${groupId}:${artifactId}`);
        else this.byWord.set(word, [`${groupId}:${artifactId}`]);
      }
    }
  }

  /**
   * The dependency a Java package belongs to, as `groupId:artifactId` of an artifact the build
   * fetched (or an error named), scored by how much of the package it explains: the segments its
   * group shares with the package (all of them: the group owns the package), and the package's
   * segments its artifactId names (`com.fasterxml.jackson.core:jackson-databind` for
   * `com.fasterxml.jackson.databind`, `com.google.apis:google-api-services-translate` for
   * `com.google.api.services.translate`). Without such an artifact, the package's owner prefix
   * (`org.apache.mina` for `org.apache.mina.filter.ssl`).
   */
  nameOf(pkg: string): string {
    const named = this.artifactFor(pkg);
    if (named !== undefined) return named;
    // Jakarta EE 9 moved javax.* to jakarta.*: code that still imports javax.x broke on a jakarta.x update.
    if (pkg.startsWith('javax.')) {
      const moved = this.artifactFor(`jakarta.${pkg.slice('javax.'.length)}`);
      if (moved !== undefined) return moved;
    }
    const segments = pkg.split('.');
    return segments.slice(0, Math.min(segments.length, ownerDepth(segments))).join('.');
  }

  private addVersion(groupId: string, artifactId: string, version: string | undefined): void {
    if (version === undefined || !/^\d/.test(version)) return;
    const name = `${groupId}:${artifactId}`;
    const known = this.newest.get(name);
    if (known === undefined ? this.newest.size < this.limit : compareVersions(version, known) > 0) this.newest.set(name, version);
  }

  /**
   * The artifact of `name`'s group fetched at a newer version than any of `name` (the newest such,
   * when one is newest alone), or undefined. A class missing from `name` is asked for by code
   * compiled against a newer release of it: in a family of artifacts released together, the one
   * a version ahead of the others (`dropwizard-client` 4.0.0 beside `dropwizard-core` 2.1.5) was
   * updated alone and needs its siblings' newer classes. A group may also hold projects with
   * versions of their own (`org.apache.commons`: `commons-lang3` 3.12.0 beside `commons-text`
   * 1.10.0): a sibling counts only if it shares `name`'s major version or `name` shares its
   * version with another sibling (a release train the newer one left).
   */
  newerSibling(name: string): string | undefined {
    const colon = name.indexOf(':');
    if (colon < 0) return undefined;
    const groupId = name.slice(0, colon);
    const own = this.newest.get(name);
    if (own === undefined) return undefined;
    const siblings: Array<[string, string]> = [];
    for (const artifact of this.byGroup.get(groupId) ?? []) {
      const sibling = `${groupId}:${artifact}`;
      const version = this.newest.get(sibling);
      if (sibling !== name && version !== undefined && !isBomName(artifact) && !PACKAGING_ONLY.test(artifact))
        siblings.push([sibling, version]);
    }
    const train = siblings.some(([, version]) => version === own);
    const major = (version: string): string => version.split(/[.-]/)[0] as string;
    let best: string | undefined;
    let bestVersion = own;
    let alone = false;
    for (const [sibling, version] of siblings) {
      if (!train && major(version) !== major(own)) continue;
      const c = compareVersions(version, bestVersion);
      if (c > 0) {
        best = sibling;
        bestVersion = version;
        alone = true;
      } else if (c === 0 && best !== undefined) alone = false;
    }
    return alone ? best : undefined;
  }

  /** The fetched artifact whose artifactId is `artifactId`, as `g:a` (the first group that has it), or undefined. */
  withArtifactId(artifactId: string): string | undefined {
    for (const [group, artifacts] of this.byGroup) if (artifacts.has(artifactId)) return `${group}:${artifactId}`;
    return undefined;
  }

  /**
   * The artifact named after `word` (`g:a` whose artifactId holds it), preferring one whose name
   * also holds a word of `context` (the framework it plugs into); undefined when none does.
   */
  namedAfter(word: string, context: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestShared = -1;
    for (const name of this.byWord.get(word) ?? []) {
      const words = artifactWords(name.slice(name.indexOf(':') + 1));
      const shared = words.filter((w) => w !== word && context.includes(w)).length;
      if (shared > bestShared || (shared === bestShared && best !== undefined && name.length < best.length)) {
        best = name;
        bestShared = shared;
      }
    }
    return best;
  }

  private artifactFor(pkg: string): string | undefined {
    const segments = pkg.split('.');
    const groups = this.byPrefix.get(segments.slice(0, 2).join('.')) ?? [];
    let best: string | undefined;
    let bestScore = 0;
    let bestNamed = 0;
    let bestShared = 0;
    for (const group of groups) {
      const groupSegments = group.split('.');
      let shared = 0;
      while (shared < groupSegments.length && shared < segments.length && groupSegments[shared] === segments[shared]) shared++;
      const owns = shared === groupSegments.length;
      for (const artifact of this.byGroup.get(group) ?? []) {
        if (isBomName(artifact) || PACKAGING_ONLY.test(artifact)) continue;
        const tokens = artifact.split(/[-.]/).filter((t) => !GENERIC_TOKENS.has(t));
        // `parse4` names `parse` too, and the major `v4` (see namesMajor).
        const stems = tokens.map((t) => /^([a-z]+)\d+$/.exec(t)?.[1]).filter((t) => t !== undefined);
        // A generic word names only a package below the artifact's own group (`plexus-utils` for
        // `org.codehaus.plexus.util`); elsewhere `core` or `commons` would name any package.
        const generic = owns
          ? artifact
              .split(/[-.]/)
              .filter((t) => GENERIC_TOKENS.has(t))
              .map(singular)
          : [];
        let named = 0;
        for (const [i, segment] of segments.entries()) {
          if (i < 2) continue;
          const below = i >= groupSegments.length && generic.includes(singular(segment));
          if (below || tokens.includes(segment) || stems.includes(segment) || namesMajor(tokens, segment)) named++;
        }
        if (!owns && named === 0) continue;
        const main = /(?:^|-)(?:core|api)$/.test(artifact) ? 0.2 : 0;
        const score = shared + (owns ? 1 : 0) + 1.5 * named + main - artifact.length / 1000;
        if (score > bestScore) {
          bestScore = score;
          best = `${group}:${artifact}`;
          bestNamed = named;
          bestShared = shared;
        }
      }
    }
    if (best !== undefined && (bestNamed > 0 || bestShared >= segments.length)) return best;
    // An artifact named only with the package's words: `opennlp.tools` is `…:opennlp-tools`. It also
    // beats an artifact that merely shares the package's group without naming the rest of it
    // (`org.apache.commons.io` is `commons-io:commons-io`, not `org.apache.commons:commons-lang3`).
    const inPackage = new Set(segments);
    const beyond = new Set(segments.slice(best === undefined ? 0 : bestShared));
    let most = 0;
    let worded: string | undefined;
    for (const segment of segments.slice(DOMAINS.has(segments[0] ?? '') ? 1 : 0)) {
      for (const name of this.byWord.get(segment) ?? []) {
        const words = artifactWords(name.slice(name.indexOf(':') + 1));
        if (words.length > most && words.every((w) => inPackage.has(w)) && words.some((w) => beyond.has(w))) {
          most = words.length;
          worded = name;
        }
      }
    }
    return worded ?? best;
  }
}

/**
 * Whether a package segment that is a major version (`v4` of `org.antlr.v4.runtime`) is the one an
 * artifact's name carries (`antlr4-runtime`): a library that changed its API across a major keeps
 * both in separate packages and artifacts, and `antlr-runtime` (3) holds the other.
 */
function namesMajor(tokens: readonly string[], segment: string): boolean {
  const major = /^v(\d+)$/.exec(segment)?.[1];
  return major !== undefined && tokens.some((t) => t.endsWith(major) && /^[a-z]+\d+$/.test(t) && /[a-z]$/.test(t.slice(0, -major.length)));
}

const singular = (word: string): string => word.replace(/s$/, '');

/** Artifacts that hold build configuration or a build's plugin, not the classes of a package. */
const PACKAGING_ONLY = /(?:^|-)(?:parent|plugin|maven-plugin|build-tools)$/;

/** Words in artifact names that say nothing about which package they hold. */
const GENERIC_TOKENS = new Set(['api', 'core', 'common', 'commons', 'impl', 'java', 'jdk', 'lib', 'all', 'client', 'utils', 'util']);

export function artifactWords(artifactId: string): string[] {
  return artifactId.split(/[-.]/).filter((t) => t.length >= 2 && !GENERIC_TOKENS.has(t) && !/^\d+$/.test(t));
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

  weightOf(name: string): number {
    return this.weights.get(name) ?? 0;
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

  /**
   * Ranked by weight, scored by share of the total evidence. Ties keep the order the evidence came
   * in: Maven lists what it resolved first (a direct dependency before what it brings) first.
   */
  ranked(limit = 10): Culprit[] {
    const total = [...this.weights.values()].reduce((a, b) => a + b, 0);
    return [...this.weights.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, weight]) => ({ name, score: Math.round((weight / total) * 1000) / 1000 }));
  }
}

export type { Artifact };
