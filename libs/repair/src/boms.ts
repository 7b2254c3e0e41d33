import { DOMAINS, type Artifact } from './coordinates';
import { artifactWords, isBomName } from './culprits';

interface FetchedBom {
  readonly name: string;
  readonly groupId: string;
  readonly version: string;
  /** Words of its name that its group does not already say (`pubsub` of `com.google.cloud:google-cloud-pubsub-bom`). */
  readonly words: readonly string[];
  /** The first BOM of the run of POMs it was fetched in. */
  readonly head: string;
}

const BOM_WORDS = new Set(['bom', 'dependencies', 'platform']);

/**
 * The BOMs Maven fetched while it read the projects' models, before it built any: the ones the
 * projects import and those they import in turn. Maven reads an imported BOM whole (its parents,
 * then its own imports) before the next, so the imports of one project's model arrive as one run
 * of POM downloads, which a jar (a build extension, a plugin) ends.
 */
export class ImportedBoms {
  private readonly boms: FetchedBom[] = [];
  private head: string | undefined;
  private reading = true;

  constructor(private readonly limit = 2_000) {}

  /** A download while the models are being read. */
  fetched(artifact: Artifact): void {
    if (!this.reading) return;
    if (artifact.extension === 'jar') {
      this.head = undefined;
      return;
    }
    if (artifact.extension !== 'pom' || !isBomName(artifact.artifactId) || this.boms.length >= this.limit) return;
    const name = `${artifact.groupId}:${artifact.artifactId}`;
    this.head ??= name;
    // `spring` of `spring-boot-dependencies` is said by `org.springframework.boot`.
    const segments = artifact.groupId.split(/[.-]/);
    const said = segments.slice(DOMAINS.has(segments[0] ?? '') ? 1 : 0).filter((s) => s.length >= 3);
    const words = artifactWords(artifact.artifactId).filter(
      (w) => !BOM_WORDS.has(w) && !said.some((s) => s.startsWith(w) || w.startsWith(s)),
    );
    this.boms.push({ name, groupId: artifact.groupId, version: artifact.version, words, head: this.head });
  }

  /** Maven has read the models: what it fetches from now on are dependencies and plugins. */
  modelsRead(): void {
    this.reading = false;
  }

  /**
   * The imported BOM whose update moved `groupId:artifactId` to `version`, as `g:a`, or undefined.
   * A BOM named for one project of its owner (`google-cloud-pubsub-bom`) is imported for that
   * project's artifacts (`proto-google-cloud-pubsub-v1`): it is the one. A BOM named for its group
   * alone (`guava-bom`), released with the artifact at its very version, is a library's own BOM,
   * which a platform's BOM imports on the project's behalf: the BOM that began its run of imports
   * is the one the project declares, and so the one an update changed.
   */
  pinning(groupId: string, artifactId: string, version: string): string | undefined {
    const owner = groupId.split('.').slice(0, 2).join('.');
    const words = new Set(artifactWords(artifactId));
    let named: FetchedBom | undefined;
    for (const bom of this.boms) {
      if (bom.words.length === 0 || !bom.groupId.startsWith(owner) || !bom.words.every((w) => words.has(w))) continue;
      if (named === undefined || bom.words.length > named.words.length) named = bom;
    }
    if (named !== undefined) return named.name;
    const release = this.boms.find((bom) => bom.words.length === 0 && bom.groupId === groupId && bom.version === version);
    return release?.head;
  }
}
