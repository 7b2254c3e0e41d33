import { ImportedBoms } from './boms';
import { categorize, type FailureCategory } from './category';
import {
  DownloadReader,
  compareVersions,
  findCoordinates,
  findNpmPackages,
  findPackages,
  findRepositoryJars,
  sourcePackages,
  testClassPackages,
  type CoordinateMention,
} from './coordinates';
import { ArtifactIndex, CulpritTally, OwnPackages, isAssertionPackage, isBomName, isPlatformPackage, type Culprit } from './culprits';
import { cleanLine, splitLines } from './log-lines';
import { BUILD_SUCCEEDED, ReasonLineDetector, toRanges } from './reason-lines';
import { errorTemplate, failureSignature, isInformative } from './signature';

/** What the repair loop knows about a failed build from its log alone. */
export interface BuildDiagnosis {
  /** 1-based inclusive line ranges of the log that explain the failure. */
  readonly reasonLines: Array<[number, number]>;
  readonly category: FailureCategory;
  readonly signature: string;
  /** Dependencies blamed, best first. */
  readonly culprits: Culprit[];
  /** The distinct informative error templates, in log order (the signature's headline is one). */
  readonly templates: string[];
  /** Weighted features for finding similar failures (see similarity.ts). */
  readonly features: Record<string, number>;
  readonly lines: number;
}

/** Reason lines whose text is kept for the analysis; the ranges are kept for all. */
const KEPT_REASON_TEXT = 5_000;
const KEPT_RANGES = 10_000;
const KEPT_TEMPLATES = 200;

/** Evidence weights (see the README's method): what a line says about which dependency failed. */
const WEIGHT = {
  coordinates: 3,
  repositoryJar: 3,
  npmPackage: 3,
  missingPackage: 3,
  exceptionClass: 2,
  namedClass: 1,
  topFrame: 0.5,
  entryFrame: 2,
  deepFrame: 0.05,
  assertionFrame: 0.05,
  failedPlugin: 0.3,
  victim: 1,
  directInTree: 1.5,
  deepInTree: 0.25,
  rootCause: 2,
  mapping: 3,
  newestPath: 2,
  wrapper: 0.25,
  linkage: 1,
  releaseLineBom: 4,
  updateCommit: 10,
  importedBom: 3,
  pinningBom: 2,
} as const;

/** A compiler diagnostic about a source line, with its message. */
const DIAGNOSTIC = /^\[(?:ERROR|WARNING)\] \S+\.(?:java|kt|scala|groovy):\[[\d,]+\] (.*)$/;

/** A compiler warning about a source line (javac's `[WARNING] /path/X.java:[12,5] …`). */
const COMPILER_WARNING = /^\[WARNING\] \S+\.(?:java|kt|scala|groovy):\[\d+,\d+\] /;

/** Ranges (ascending) with more lines added, merged. */
function withLines(ranges: ReadonlyArray<readonly [number, number]>, lines: readonly number[]): Array<[number, number]> {
  const all: Array<[number, number]> = [...ranges.map(([a, b]): [number, number] => [a, b]), ...lines.map((n): [number, number] => [n, n])];
  all.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const [a, b] of all) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}

/** The JVM's linkage errors, by name or by their messages (HotSpot's wording; a NoSuchMethodError's message alone is the method in quotes). */
const LINKAGE_ERROR =
  /\b(?:NoSuchMethodError|NoSuchFieldError|NoClassDefFoundError|ClassNotFoundException|AbstractMethodError|IncompatibleClassChangeError|IllegalAccessError|UnsupportedClassVersionError)\b|\bcan not implement \S+, because it is not an interface|\bclass [\w.$]+ has interface [\w.$]+ as super class|\bFound (?:interface|class) [\w.$]+, but (?:class|interface) was expected|does not define or inherit an implementation of the resolved method|'[\w.$[\]<>]+ (?:[a-z_][\w$]*\.)+[A-Z][\w$]*\.[\w$<>]+\([\w.$[\], ]*\)'\s*$/;

/**
 * A class the compiler or the JVM could not find at all (javac's `cannot access` and `class file for
 * … not found`, the class loader's ClassNotFoundException and NoClassDefFoundError), as its package.
 * Not `Could not initialize class`: that class was found, its static initializer failed.
 */
const ABSENT_CLASS =
  /\b(?:cannot access|class file for|ClassNotFoundException:|NoClassDefFoundError:|(?:NoSuchMethodError|NoSuchFieldError):\s+'?(?:[\w.$[\]<>]+ )?)\s*((?:[a-z_][\w$]*[./])+)[A-Z][\w$]*/g;

function absentPackages(text: string): string[] {
  const found: string[] = [];
  ABSENT_CLASS.lastIndex = 0;
  for (let m = ABSENT_CLASS.exec(text); m; m = ABSENT_CLASS.exec(text)) found.push((m[1] as string).slice(0, -1).replace(/\//g, '.'));
  return found;
}

/** `Dependency g:a:jar:v requires Jenkins 2.332.4 or higher`: the release line (`2.332`) required. */
const REQUIRES_PLATFORM = /\brequires [A-Z][\w.-]*(?: [A-Z][\w.-]*)? v?(\d+\.\d+)(?:\.\d+)* or (?:higher|newer|later)\b/;

/** Maven's model check of a dependency declared without a version that no dependency management supplies. */
const VERSION_MISSING = /'dependencies\.dependency\.version' for \S+ is missing/;

/** A BOM named for a release line of a platform (`bom-2.332.x`), as `{name: 'g:a', line: '2.332'}`. */
function releaseLineBom(groupId: string, artifactId: string): { name: string; line: string } | undefined {
  const m = /(?:^|-)(\d+\.\d+)\.x$/.exec(artifactId);
  return m && isBomName(artifactId) ? { name: `${groupId}:${artifactId}`, line: m[1] as string } : undefined;
}

/** Lines inside a Java stack trace after its frames. */
const TRACE_GOES_ON = /^\s*(?:\.\.\. \d+ (?:more|common frames omitted)|Suppressed:|Caused by:)/;

/**
 * Where a message goes on to name what the failing code expected rather than what it got: the
 * type of a failed cast (`class a.B cannot be cast to class c.D`, Java 8 without `class`), the
 * extension point of a Jackson type id (`… as a subtype of `c.D``). The names after it are context.
 */
const EXPECTED_TYPE = /\bcannot be cast to |\bas a subtype of /;
/** Jackson's path to the value it could not read: the classes before the last one only hold it. */
const REFERENCE_CHAIN = /\(through reference chain: ([^)]*)\)/;

/** The packages a line names only as context of what failed (see EXPECTED_TYPE, REFERENCE_CHAIN). */
function contextPackages(text: string): Set<string> {
  const context = new Set<string>();
  const expected = EXPECTED_TYPE.exec(text);
  if (expected) {
    const subject = new Set(findPackages(text.slice(0, expected.index)).map((m) => m.name));
    for (const m of findPackages(text.slice(expected.index))) if (!subject.has(m.name)) context.add(m.name);
  }
  const chain = REFERENCE_CHAIN.exec(text);
  if (chain) {
    const links = (chain[1] as string).split('->');
    const last = new Set(findPackages(links[links.length - 1] ?? '').map((m) => m.name));
    for (const m of findPackages(links.slice(0, -1).join(' '))) if (!last.has(m.name)) context.add(m.name);
  }
  return context;
}

/** Lines a build tool or test runner printed: a trace has ended before them. */
const TOOL_OUTPUT = /^\[(?:ERROR|WARNING|WARN|INFO|DEBUG)\]|^Tests run:|^Running /;

/**
 * Jackson's reports of data that no longer fits the classes it is read into: a field the class
 * does not have (`Unrecognized field "f" (class org.foo.FooFactory)`), a type id no subtype is
 * registered under (`Could not resolve type id 'foo' as a subtype of `org.bar.Factory``). The
 * class, or the artifact that registered the subtype, changed; Jackson's exception only reports it.
 */
const UNRECOGNIZED_FIELD = /\bUnrecognized field "[^"]*" \(class ((?:[a-z_][\w$]*\.)+)[A-Z][\w$]*\)/;
const UNKNOWN_TYPE_ID = /\bCould not resolve type id '([\w.-]+)' as a subtype of `?((?:[a-z_][\w$]*\.)+)[A-Z]/;
const MAPPING_REPORT =
  /^(?:\[ERROR\]\s*)?(?:Caused by: )?com\.fasterxml\.jackson\.databind\.exc\.(?:UnrecognizedPropertyException|InvalidTypeIdException)\b/;

const CLASS_FILE_ENTRY = /^\s*(?:[\w$-]+\/)+[\w$-]+\.class\s*$/;

/** maven-dependency-plugin's analysis: its lists, their items (`[WARNING]    g:a:jar:1.0:compile`), its failure. */
const ANALYSIS_LIST = /^\[(?:WARNING|ERROR)\] (?:Used undeclared|Unused declared|Non-test scoped test only) dependencies found:/;
const ANALYSIS_ITEM = /^\[(?:WARNING|ERROR)\]\s+([\w.-]+):([\w.-]+):[\w-]+:(?:[\w-]+:)?[\w.+-]+(?::\w+)?\s*$/;
const ANALYSIS_FAILED = /Failed to execute goal org\.apache\.maven\.plugins:maven-dependency-plugin:[\w.+-]+:analyze/;

/**
 * The title of an update bot's commit, as a CI's checkout step prints it (`Commit message: "…"`,
 * `HEAD is now at 1a2b3c4 …`): Dependabot's `Bump org.foo:bar from 1.0 to 2.0` (or its body's
 * `Bumps [bar](…) from …`), Renovate's `Update dependency org.foo:bar to v2.0`. The change being
 * built names the dependency it moved.
 */
const UPDATE_COMMIT =
  /\b[Bb]umps? \[?((?:@[\w.-]+\/)?[\w.:-]*[\w-])\]?(?:\([^)]*\))? from v?\d\S* to v?\d|\b[Uu]pdate dependency ((?:@[\w.-]+\/)?[\w.:-]*[\w-]) to v?\d/;

/** Maven's first lines after reading the projects' models: the reactor's order, a module's header. */
const MODELS_READ = /^\[INFO\] (?:Reactor Build Order:|-+< [\w.-]+:[\w.-]+ >-+$|Building )/;

const FAILED_GOAL = /Failed to execute goal ([\w.-]+):([\w.-]+):[\w.+-]+:[\w-]+/;
const TREE_LINE = /^(?:\[(?:ERROR|WARNING)\])?(\s*)\+-/;
const EXCEPTION_HEADER = /^(?:\[ERROR\]\s*)?(?:Caused by: )?((?:[a-z][\w$]*\.)+)[A-Z][\w$]*(?:Exception|Error)\b/;

/**
 * Reads a failed build's log line by line and diagnoses it. Memory is bounded whatever the log's
 * size: the reason lines' ranges, the text of the first few thousand of them, and the names the log
 * mentions (artifacts fetched, packages in errors), each capped.
 */
export class BuildLogTriage {
  private n = 0;
  private readonly detector = new ReasonLineDetector();
  private readonly ranges: Array<[number, number]> = [];
  private readonly reasonText: string[] = [];
  private readonly templates = new Map<string, number>();
  private readonly artifacts = new ArtifactIndex();
  private readonly downloads = new DownloadReader();
  private readonly own = new OwnPackages();
  private readonly coordinates = new CulpritTally();
  private readonly packages = new Map<string, number>();
  private frameIndex = -1;
  /** The trace's latest library frame, and whether the project's own code was reached below it. */
  private libraryFrame: string | undefined;
  private entryFound = false;
  /** Packages (and weights) named by the latest exception header of the trace being read. */
  private cause: Array<[pkg: string, weight: number, named: boolean]> = [];
  private inTrace = false;
  /** The names of the latest exception settled as a root cause while its trace may still go on. */
  private settled: Array<[pkg: string, weight: number, named: boolean]> = [];
  /** The enforcer conflict being read: its artifact, the current path's direct dependency, the paths so far. */
  private treeVictim: string | undefined;
  private treeDirect: string | undefined;
  private treePaths: Array<[direct: string, version: string, raised?: [string, string]]> = [];
  /** The node of the current path that dependency management raised, with its managed version. */
  private treeRaised: [string, string] | undefined;
  /** The versions of the conflict's direct dependencies. */
  private readonly treeVersions = new Map<string, string>();
  /** Artifacts (and their versions) that enforcer trees blame or show moved by dependency management (see ImportedBoms.pinning). */
  private readonly pinned = new Map<string, string>();
  private readonly imports = new ImportedBoms();
  /** Direct dependencies of the conflict being read whose path asks for more than the managed version. */
  private readonly treeAboveManaged = new Set<string>();
  /** The compiler's warnings of the current plugin execution, and warnings that became reasons. */
  private readonly warnings: Array<[number, string]> = [];
  private readonly earlier: number[] = [];
  /** Packages the compiler could not find: never the project's own unless its sources are there. */
  private readonly missing = new Set<string>();
  /** The first BOM fetched that is named for a platform's release line (`bom-2.332.x`): the project's import. */
  private lineBom: { name: string; line: string } | undefined;
  /** The first BOM fetched: while Maven reads the project's model, the one its dependency management imports. */
  private firstBom: string | undefined;
  /** Whether Maven found a dependency without a version (`'dependencies.dependency.version' for g:a:jar is missing`). */
  private versionMissing = false;
  /** Release lines (`2.332`) of the platform versions that errors say a dependency requires. */
  private readonly requiredLines = new Set<string>();
  /** Dependencies an update bot's commit title says the build's change moved (see UPDATE_COMMIT). */
  private readonly updated = new Set<string>();
  /** The artifacts the latest dependency analysis listed (used undeclared, unused declared), and whether its goal failed the build. */
  private readonly analyzed: string[] = [];
  private analysisListing = false;
  private analysisFailed = false;
  /** Compiler diagnostics read (see firstDiagnostic). */
  private readonly diagnostics = new Set<string>();
  /** Packages of classes missing from the class path (see ABSENT_CLASS). */
  private readonly absent = new Set<string>();
  /** Packages named by linkage errors outside the reason lines, counted once each. */
  private readonly linked = new Set<string>();

  /** The next line of the log (without its line end). */
  addLine(raw: string): void {
    const n = ++this.n;
    const text = cleanLine(raw);
    const download = text.includes('Download') ? this.downloads.read(text) : undefined;
    if (download) {
      this.imports.fetched(download);
      if (download.extension === 'jar') this.artifacts.add(download.groupId, download.artifactId, download.version);
      else if (download.extension === 'pom') {
        if (this.firstBom === undefined && isBomName(download.artifactId)) this.firstBom = `${download.groupId}:${download.artifactId}`;
        if (this.lineBom === undefined) this.lineBom = releaseLineBom(download.groupId, download.artifactId);
      }
      return;
    }
    if (MODELS_READ.test(text)) this.imports.modelsRead();
    if (BUILD_SUCCEEDED.test(text)) this.forgetErrors();
    if (text.includes('ump') || text.includes('pdate dependency')) {
      const update = UPDATE_COMMIT.exec(text);
      const name = update?.[1] ?? update?.[2];
      // A release's own 'Bump version from 1.0 to 1.1' moves no dependency.
      if (name !== undefined && !/^(?:version|versions|deps|dependencies)$/i.test(name) && this.updated.size < 10) this.updated.add(name);
    }
    if (/^(?:\[INFO\] )?Running [\w.$]+$/.test(text)) for (const pkg of testClassPackages(text)) this.own.add(pkg);
    if (COMPILER_WARNING.test(text)) {
      if (this.warnings.length < 200) this.warnings.push([n, text]);
    } else if (/^\[INFO\] --- /.test(text)) {
      this.warnings.length = 0;
      this.analyzed.length = 0;
    }
    this.readDependencyAnalysis(text);
    let reason = false;
    for (const line of this.detector.accept(n, text)) {
      this.addRange(line);
      if (line !== n) continue;
      reason = true;
      this.readReasonLine(text);
      // With -Werror the compiler's warnings are the errors.
      if (/-Werror\b/.test(text)) {
        for (const [w, warning] of this.warnings) {
          if (this.earlier.length < KEPT_RANGES) this.earlier.push(w);
          this.readReasonLine(warning);
        }
        this.warnings.length = 0;
      }
    }
    if (this.absent.size < 1000 && /access|class file|Class(?:NotFound|DefFound)|NoSuch/.test(text))
      for (const pkg of absentPackages(text)) this.absent.add(pkg);
    if (!reason) {
      this.readLinkageError(text);
      // Output between reason lines ends any trace a later `Caused by:` could still revise.
      if (text.trim() !== '') this.settled = [];
    }
    if (text.includes('Unrecognized field') || text.includes('type id')) this.readMappingError(text, reason);
  }

  /**
   * Jackson's mapping errors: each mention counts in the reason lines, each name once in the
   * output of the code under test (which may log the same error many times).
   */
  private readMappingError(text: string, reason: boolean): void {
    const field = UNRECOGNIZED_FIELD.exec(text);
    const pkg = field ? (field[1] as string).slice(0, -1) : undefined;
    if (pkg !== undefined && this.firstMention(pkg, reason)) this.addPackage(pkg, WEIGHT.mapping);
    const typeId = UNKNOWN_TYPE_ID.exec(text);
    if (!typeId) return;
    const id = (typeId[1] as string).toLowerCase();
    const provider = this.artifacts.namedAfter(id, (typeId[2] as string).split('.'));
    if (provider !== undefined && this.firstMention(provider, reason)) this.coordinates.add(provider, WEIGHT.mapping);
  }

  /** Whether a name read in a line counts: always in a reason line, else the first time only. */
  private firstMention(name: string, reason: boolean): boolean {
    if (reason) return true;
    if (this.linked.has(name) || this.linked.size >= 1000) return false;
    this.linked.add(name);
    return true;
  }

  /**
   * `dependency:analyze` lists, as warnings, the artifacts the code uses without declaring them
   * and those it declares without using; with failOnWarning the build fails on them. After an
   * update they are the update's doing (classes that moved to another artifact of its family,
   * an artifact it now brings or replaces): each counts when the analysis failed the build.
   */
  private readDependencyAnalysis(text: string): void {
    if (ANALYSIS_FAILED.test(text)) this.analysisFailed = true;
    if (ANALYSIS_LIST.test(text)) {
      this.analysisListing = true;
      return;
    }
    if (!this.analysisListing) return;
    const item = ANALYSIS_ITEM.exec(text);
    if (!item) {
      this.analysisListing = false;
      return;
    }
    if (this.analyzed.length < 100) this.analyzed.push(`${item[1] as string}:${item[2] as string}`);
  }

  /**
   * A linkage error is the mark of a binary-incompatible update: the JVM names the class it could
   * not link. Printed by the code under test (its own log, a caught exception) it is not a reason
   * line, yet it names the library that changed; each package counts once, however often logged.
   */
  private readLinkageError(text: string): void {
    const m = LINKAGE_ERROR.exec(text);
    if (!m) return;
    for (const mention of findPackages(text.slice(m.index))) {
      if (mention.kind === 'frame' || isPlatformPackage(mention.name) || this.linked.has(mention.name)) continue;
      if (this.linked.size >= 1000) return;
      this.linked.add(mention.name);
      this.addPackage(mention.name, WEIGHT.linkage);
    }
  }

  /** A build that succeeded after them: the errors so far did not fail the job. */
  private forgetErrors(): void {
    this.ranges.length = 0;
    this.earlier.length = 0;
    this.reasonText.length = 0;
    this.templates.clear();
    this.coordinates.clear();
    this.packages.clear();
    this.cause = [];
    this.settled = [];
    this.missing.clear();
    this.linked.clear();
    this.absent.clear();
    this.diagnostics.clear();
    this.analyzed.length = 0;
    this.analysisFailed = false;
    this.requiredLines.clear();
    this.versionMissing = false;
    this.treePaths = [];
    this.treeAboveManaged.clear();
    this.pinned.clear();
  }

  private addRange(line: number): void {
    const last = this.ranges[this.ranges.length - 1];
    if (last && line <= last[1] + 1) last[1] = Math.max(last[1], line);
    else if (this.ranges.length < KEPT_RANGES) this.ranges.push([line, line]);
  }

  private readReasonLine(text: string): void {
    if (this.reasonText.length < KEPT_REASON_TEXT) this.reasonText.push(text);
    if (this.templates.size < KEPT_TEMPLATES) {
      const template = errorTemplate(text);
      if (isInformative(template) && !this.templates.has(template)) this.templates.set(template, this.templates.size);
    }
    for (const pkg of sourcePackages(text)) this.own.add(pkg);
    for (const pkg of testClassPackages(text)) this.own.add(pkg);
    this.readCoordinates(text);
    this.readRepositoryJars(text);
    for (const name of findNpmPackages(text)) this.coordinates.add(name, WEIGHT.npmPackage);
    // A bare class file is an entry of a jar listing (the enforcer's duplicate classes), in every jar listed.
    if (!CLASS_FILE_ENTRY.test(text) && this.firstDiagnostic(text)) this.readPackages(text);
    const required = REQUIRES_PLATFORM.exec(text);
    if (required && this.requiredLines.size < 100) this.requiredLines.add(required[1] as string);
  }

  /**
   * Whether a compiler diagnostic says something not said before: javac reports the same missing
   * package at every import of it, and Maven's summary repeats every diagnostic.
   */
  private firstDiagnostic(text: string): boolean {
    const m = DIAGNOSTIC.exec(text);
    if (!m) return true;
    const key = m[1] as string;
    if (this.diagnostics.has(key)) return false;
    if (this.diagnostics.size < 10_000) this.diagnostics.add(key);
    return true;
  }

  private readCoordinates(text: string): void {
    // The dependency's version came from an imported BOM that no longer manages it: the dependency
    // did not change, the BOM did (see finish).
    if (VERSION_MISSING.test(text)) {
      this.versionMissing = true;
      return;
    }
    const goal = FAILED_GOAL.exec(text);
    const tree = TREE_LINE.exec(text);
    const victim = /(?:error for|Dependency convergence error for|upper bound dependencies error for) /i.test(text);
    const mentions = findCoordinates(text);
    this.readTreePath(text, tree, victim, mentions);
    for (const c of mentions) {
      const name = `${c.groupId}:${c.artifactId}`;
      if (goal && goal[1] === c.groupId && goal[2] === c.artifactId) {
        this.artifacts.add(c.groupId, c.artifactId);
        this.coordinates.add(name, WEIGHT.failedPlugin);
        continue;
      }
      // The project itself: the root of a dependency tree, or a snapshot being built. Its modules
      // hold the project's own packages, so they name no dependency's package either.
      if (/SNAPSHOT/.test(text.slice(c.index, c.index + name.length + 60).split(/\s/)[0] ?? '')) continue;
      this.artifacts.add(c.groupId, c.artifactId);
      if (tree) {
        const depth = Math.floor((tree[1] as string).length / 2);
        if (depth === 0) continue;
        this.coordinates.add(name, depth === 1 ? WEIGHT.directInTree : WEIGHT.deepInTree);
      } else {
        this.coordinates.add(name, victim ? WEIGHT.victim : WEIGHT.coordinates);
      }
    }
  }

  /**
   * A jar named by its path in the local repository (javac's `bad class file: …/spring-core-6.0.3.jar`)
   * is the artifact itself. A line naming many is a class path listing: they share one weight.
   */
  private readRepositoryJars(text: string): void {
    const jars = findRepositoryJars(text);
    for (const c of jars) {
      this.artifacts.add(c.groupId, c.artifactId, c.version);
      this.coordinates.add(`${c.groupId}:${c.artifactId}`, WEIGHT.repositoryJar / jars.length);
    }
  }

  /**
   * Enforcer trees: each path goes from the project through one direct dependency to a version of
   * the conflicting artifact. The direct dependency whose path asks for the newest version is what
   * changed (an update brings newer transitive requirements): it gets `newestPath` once per conflict.
   * So does one whose path asks for a newer version than the project's dependency management pins
   * (`g:a:1.55.1 (managed) <-- g:a:1.56.0`), even when the conflict has that path alone.
   */
  private readTreePath(text: string, tree: RegExpExecArray | null, victim: boolean, mentions: readonly CoordinateMention[]): void {
    if (victim) {
      this.settleTree();
      const first = mentions[0];
      this.treeVictim = first ? `${first.groupId}:${first.artifactId}` : undefined;
      return;
    }
    if (!tree) {
      if (!/^(?:\[\w+\] )?\s*(?:and|,|\]|\[)?\s*$/.test(text)) this.settleTree();
      return;
    }
    const depth = Math.floor((tree[1] as string).length / 2);
    const first = mentions[0];
    if (depth === 1 && first) {
      this.treeDirect = `${first.groupId}:${first.artifactId}`;
      if (this.treeVersions.size < 100) this.treeVersions.set(this.treeDirect, first.version);
      this.treeRaised = undefined;
      // The conflicting artifact declared directly: its own declaration is a path, and it asks for its version.
      if (this.treeDirect === this.treeVictim && this.treePaths.length < 100) this.treePaths.push([this.treeDirect, first.version]);
    }
    if (depth < 2 || this.treeDirect === undefined || this.treeVictim === undefined) return;
    this.readManagedNode(text, mentions);
    const named = mentions.filter((m) => `${m.groupId}:${m.artifactId}` === this.treeVictim);
    if (named.length === 0) return;
    const asked = named[named.length - 1];
    if (asked && this.treePaths.length < 100) this.treePaths.push([this.treeDirect, asked.version, this.treeRaised]);
    const pinned = named[0];
    if (asked && pinned && named.length > 1 && /\(managed\) <-- /.test(text) && compareVersions(asked.version, pinned.version) > 0) {
      if (this.treeAboveManaged.size < 100) this.treeAboveManaged.add(this.treeDirect);
    }
  }

  /**
   * A node the project's dependency management raised above what its parent asked for
   * (`g:a:2.0 (managed) <-- g:a:1.4`): its version came from an imported BOM.
   */
  private readManagedNode(text: string, mentions: readonly CoordinateMention[]): void {
    if (!text.includes('(managed) <-- ')) return;
    const [managed, asked] = mentions;
    if (managed === undefined || asked === undefined || managed.groupId !== asked.groupId || managed.artifactId !== asked.artifactId)
      return;
    const name = `${managed.groupId}:${managed.artifactId}`;
    if (name !== this.treeVictim && compareVersions(managed.version, asked.version) > 0) this.treeRaised = [name, managed.version];
  }

  private bomPinning(name: string, version: string): string | undefined {
    const colon = name.indexOf(':');
    return this.imports.pinning(name.slice(0, colon), name.slice(colon + 1), version);
  }

  /**
   * A path that asks for the newest version through a node dependency management raised
   * (`g:a:2.0 (managed) <-- g:a:1.4`) is not its direct dependency's doing when an imported BOM
   * manages that node: the BOM moved it (see ImportedBoms.pinning).
   */
  private settleTree(): void {
    const paths = this.treePaths;
    const blamed = new Set(this.treeAboveManaged);
    if (paths.length > 1) {
      let newest = paths[0]?.[1] ?? '';
      for (const [, version] of paths) if (compareVersions(version, newest) > 0) newest = version;
      const newestPaths = paths.filter(([, v]) => v === newest);
      if (new Set(newestPaths.map(([direct]) => direct)).size < new Set(paths.map(([direct]) => direct)).size) {
        const moved = new Set<string>();
        for (const [direct, , raised] of newestPaths) {
          if (raised === undefined || this.bomPinning(raised[0], raised[1]) === undefined) continue;
          moved.add(direct);
          if (this.pinned.size < 100) this.pinned.set(raised[0], raised[1]);
        }
        for (const [direct] of newestPaths) if (!moved.has(direct)) blamed.add(direct);
      }
    }
    for (const direct of blamed) {
      this.coordinates.add(direct, WEIGHT.newestPath);
      if (this.pinned.size < 100) this.pinned.set(direct, this.treeVersions.get(direct) ?? '');
    }
    this.treeAboveManaged.clear();
    this.treeVersions.clear();
    this.treePaths = [];
    this.treeDirect = undefined;
    this.treeRaised = undefined;
  }

  private readPackages(text: string): void {
    const mentions = findPackages(text);
    const isFrame = mentions.length === 1 && mentions[0]?.kind === 'frame';
    if (!isFrame) this.frameIndex = -1;
    const header = EXCEPTION_HEADER.exec(text);
    if (header) {
      this.frameIndex = 0;
      this.libraryFrame = undefined;
      this.entryFound = false;
    }
    // Within a trace, the exception that wraps another is its victim: only the last one's names
    // count fully (as the root cause), the wrappers' a quarter.
    if (header) {
      if (/^Caused by: /.test(text) && !this.inTrace) this.reviseSettledCause();
      this.settleCause(WEIGHT.wrapper);
      this.inTrace = true;
    } else if (!isFrame && !TRACE_GOES_ON.test(text)) {
      this.settleCause(1, WEIGHT.rootCause);
      this.inTrace = false;
      if (TOOL_OUTPUT.test(text)) this.settled = [];
    }
    // A failed cast names the type the code expected, its own, beside the object's class, which
    // came from elsewhere: the provider of that object is what behaves differently. Likewise the
    // type a Jackson type id should have been a subtype of is the framework, not the plug-in.
    const context = contextPackages(text);
    for (const m of mentions) {
      if (isPlatformPackage(m.name)) continue;
      if (m.kind === 'class' && context.has(m.name)) {
        if (header && this.cause.length < 40) this.cause.push([m.name, WEIGHT.namedClass * WEIGHT.wrapper, false]);
        else if (!header) this.addPackage(m.name, WEIGHT.namedClass * WEIGHT.wrapper);
        continue;
      }
      let weight: number;
      if (m.kind === 'frame') {
        if (this.frameIndex < 0) this.frameIndex = 0;
        weight = isAssertionPackage(m.name) ? WEIGHT.assertionFrame : this.frameIndex < 3 ? WEIGHT.topFrame : WEIGHT.deepFrame;
        this.frameIndex++;
        this.readEntryFrame(m.name);
      } else if (m.kind === 'missing') {
        weight = WEIGHT.missingPackage;
        if (this.missing.size < 1000) this.missing.add(m.name);
      } else if (header && `${m.name}.` === header[1]) {
        // A mapping error's exception reports a mismatch in another class: it is the messenger.
        if (MAPPING_REPORT.test(text)) {
          if (this.cause.length < 40) this.cause.push([m.name, WEIGHT.exceptionClass * WEIGHT.wrapper, false]);
          continue;
        }
        weight = WEIGHT.exceptionClass;
      } else weight = WEIGHT.namedClass;
      if (header || (m.kind === 'frame' && this.inTrace)) {
        if (this.cause.length < 40) this.cause.push([m.name, weight, m.kind !== 'frame']);
        continue;
      }
      this.addPackage(m.name, weight);
    }
  }

  /**
   * The library frame right above the project's first own frame is the dependency the project
   * called: the one it declares, and so the one an update changed. The frames above it are that
   * library's internals and its own dependencies, where the exception surfaced.
   */
  private readEntryFrame(pkg: string): void {
    if (this.entryFound || isAssertionPackage(pkg)) return;
    if (this.own.has(pkg)) {
      this.entryFound = true;
      const entry = this.libraryFrame;
      if (entry === undefined) return;
      if (this.inTrace && this.cause.length < 40) this.cause.push([entry, WEIGHT.entryFrame, false]);
      else if (!this.inTrace) this.addPackage(entry, WEIGHT.entryFrame);
    } else this.libraryFrame = pkg;
  }

  /** Adds the names of the exception header read last: scaled, plus a bonus for the root cause. */
  private settleCause(scale: number, bonus = 0): void {
    if (this.cause.length > 0) this.settled = bonus > 0 ? this.cause : [];
    for (const [pkg, weight, named] of this.cause) this.addPackage(pkg, weight * scale + (named ? bonus : 0));
    this.cause = [];
  }

  /**
   * An exception whose message went on over lines was settled as the root cause at its first
   * message line; a `Caused by:` after that message makes it a wrapper after all.
   */
  private reviseSettledCause(): void {
    for (const [pkg, weight, named] of this.settled)
      this.addPackage(pkg, weight * WEIGHT.wrapper - weight - (named ? WEIGHT.rootCause : 0));
    this.settled = [];
  }

  private addPackage(pkg: string, weight: number): void {
    if (!this.packages.has(pkg) && this.packages.size >= 10_000) return;
    this.packages.set(pkg, (this.packages.get(pkg) ?? 0) + weight);
  }

  /** The diagnosis of the lines read so far (call once the log has ended). */
  finish(): BuildDiagnosis {
    this.detector.end();
    this.settleCause(1, WEIGHT.rootCause);
    this.settleTree();
    const category = categorize(this.reasonText);
    const templates = [...this.templates.keys()];
    const tally = new CulpritTally();
    const mentioned: Array<[string, number]> = [];
    for (const [name, weight] of this.coordinates.entries()) tally.add(name, weight);
    // A BOM for a platform's release line manages its artifacts to versions made for that line: a
    // dependency that requires a newer release of the same line got its version from the BOM's
    // update. One that requires a later line than the BOM's was updated by itself.
    if (this.lineBom !== undefined && this.requiredLines.has(this.lineBom.line)) tally.add(this.lineBom.name, WEIGHT.releaseLineBom);
    if (this.versionMissing && this.firstBom !== undefined) tally.add(this.firstBom, WEIGHT.importedBom);
    // A version an imported BOM set changed with the BOM: it outranks the artifact it moved.
    for (const [name, version] of this.pinned) {
      const bom = this.bomPinning(name, version);
      if (bom !== undefined) tally.add(bom, Math.max(this.coordinates.weightOf(name), WEIGHT.newestPath) + WEIGHT.pinningBom);
    }
    if (this.analysisFailed) for (const name of this.analyzed) tally.add(name, WEIGHT.coordinates);
    // Dependabot names a Maven dependency by its artifactId alone in older titles.
    for (const name of this.updated)
      tally.add(name.includes(':') ? name : (this.artifacts.withArtifactId(name) ?? name), WEIGHT.updateCommit);
    for (const [pkg, weight] of this.packages) {
      if (this.missing.has(pkg) ? this.own.holds(pkg) : this.own.has(pkg)) continue;
      const owner = this.artifacts.nameOf(pkg);
      // A class missing from an artifact a sibling has moved past: the sibling's update asks for it.
      const name = this.absent.has(pkg) ? (this.artifacts.newerSibling(owner) ?? owner) : owner;
      tally.add(name, weight);
      mentioned.push([name, weight]);
    }
    const culprits = tally.ranked();
    const features: Record<string, number> = {};
    features[`category:${category}`] = 1;
    for (const t of templates.slice(0, 50)) features[`t:${t}`] = 1;
    for (const [i, c] of culprits.entries()) features[`dep:${c.name}`] = (i === 0 ? 3 : 1) * Math.max(c.score, 0.1);
    for (const [name, weight] of mentioned.slice(0, 100)) features[`pkg:${name}`] = Math.min(1, weight);
    return {
      reasonLines: withLines(this.ranges, this.earlier),
      category,
      signature: failureSignature(category, templates),
      culprits,
      templates,
      features,
      lines: this.n,
    };
  }
}

/** Diagnoses a whole log held in memory (tests, small logs); the CLI streams through BuildLogTriage. */
export function triageLog(text: string): BuildDiagnosis {
  const triage = new BuildLogTriage();
  for (const line of splitLines(text)) triage.addLine(line);
  return triage.finish();
}

export { toRanges };
