import * as semver from 'semver';
import type { FailureCategory } from './category';
import type { PackageVersion, Packument } from './registry';

/**
 * The fix recipes of the repair loop. Each candidate is a concrete change to the repository (whole
 * new file contents, plus commands that regenerate derived files such as the lock file), so the
 * executor can apply, commit and validate it as it is.
 */
/** A full git object id (SHA-1 or SHA-256): what a fix may name as the commit to restore a file from. */
const GIT_OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export const FIX_RECIPES = ['move-dependency', 'revert-update', 'adjust-runtime', 'refresh-lock', 'retry'] as const;
export type FixRecipe = (typeof FIX_RECIPES)[number];

export interface FileEdit {
  /** Relative to the repository's root, `/`-separated. */
  readonly path: string;
  readonly content: string;
}

export interface FixCandidate {
  /** Stable for the same fix of the same failure: `recipe:package@version`. */
  readonly id: string;
  readonly recipe: FixRecipe;
  readonly title: string;
  /** Why this fix, and why it ranks where it does. */
  readonly explanation: string[];
  /** The rank score in [0, 1]: the recipe's prior for this failure blended with past outcomes. */
  readonly score: number;
  readonly files: FileEdit[];
  /** Commands (argument arrays, run in the project's directory) that regenerate derived files after the edits. */
  readonly regenerate: string[][];
  readonly message: string;
}

/** How a fix recipe did before on failures with this signature (from the learner's knowledge). */
export interface FixOutcomes {
  readonly successes: number;
  readonly failures: number;
}

/** The dependency update that is blamed, as far as it is known. */
export interface DependencyChange {
  readonly name: string;
  /** The version the project had before (the lock file of the last good build). */
  readonly from?: string;
  /** The version the failed build used. */
  readonly to?: string;
}

export interface RepairInput {
  readonly category: FailureCategory;
  readonly signature: string;
  readonly change?: DependencyChange;
  readonly project: {
    /** The project's directory inside the repository (`''` for the root). */
    readonly dir: string;
    readonly packageJson: string;
    readonly lockfile?: string;
    /** `.nvmrc`, when the project has one. */
    readonly nvmrc?: string;
    /**
     * The same files at the last good commit: a revert restores them as they were. With the
     * commit, the lock file is restored from it by git rather than carried (see proposeFixes).
     */
    readonly previous?: { readonly packageJson: string; readonly lockfile?: string; readonly commit?: string };
  };
  /** The culprit's metadata from the registry. */
  readonly packument?: Packument;
  /** The runtime the project is built on (`20.20.2`) and its npm. */
  readonly runtime: { readonly node: string; readonly npm?: string };
  /**
   * Past outcomes per recipe for this failure's signature (the learner's signature × fix knowledge).
   * Empty for an unknown signature: the recipes' own priors rank alone.
   */
  readonly outcomes?: Partial<Record<FixRecipe, FixOutcomes>>;
}

/** How many past outcomes weigh as much as the recipe's own prior. */
const PRIOR_WEIGHT = 2;

/** Each recipe's prior per failure category: how likely it fixes this kind of failure before any outcome is known. */
const PRIORS: Record<FixRecipe, Partial<Record<FailureCategory, number>> & { default: number }> = {
  // Keeps the dependency as new as the runtime and peers allow: first where the update itself broke it.
  'move-dependency': { toolchain: 0.7, 'dependency-resolution': 0.7, 'dependency-constraint': 0.6, default: 0.45 },
  // The last good state, known to have passed: the fallback, first where the code broke on the new version.
  'revert-update': { toolchain: 0.6, 'dependency-resolution': 0.6, compilation: 0.6, test: 0.6, default: 0.5 },
  // Only works where CI's runtime follows the project's setting; it cannot pass on a validator pinned to another runtime.
  'adjust-runtime': { toolchain: 0.25, default: 0.1 },
  'refresh-lock': { 'lock-file': 0.8, 'dependency-resolution': 0.3, default: 0.1 },
  retry: { infrastructure: 0.8, unknown: 0.2, default: 0.05 },
};

function priorOf(recipe: FixRecipe, category: FailureCategory): number {
  return PRIORS[recipe][category] ?? PRIORS[recipe].default;
}

/**
 * The rank score: the posterior mean of a Beta whose prior is the recipe's prior worth
 * PRIOR_WEIGHT outcomes. With no outcomes it is the prior; with many it is the observed success rate.
 */
export function rankScore(prior: number, outcomes: FixOutcomes | undefined): number {
  const s = Math.max(0, outcomes?.successes ?? 0);
  const f = Math.max(0, outcomes?.failures ?? 0);
  return Math.round(((s + prior * PRIOR_WEIGHT) / (s + f + PRIOR_WEIGHT)) * 1000) / 1000;
}

type PackageJson = Record<string, unknown> & {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  engines?: Record<string, string>;
};

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;

export class ProjectFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectFileError';
  }
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProjectFileError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProjectFileError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The indentation and final newline of a JSON file, so an edit changes only what it means to. */
function stringifyLike(original: string, value: unknown): string {
  const indent = /^[{[]\r?\n([ \t]+)/.exec(original)?.[1] ?? '  ';
  return JSON.stringify(value, null, indent) + (original.endsWith('\n') ? '\n' : '');
}

/** The version of a package in an npm lock file (v2/v3 `packages`, or v1 `dependencies`). */
export function lockedVersion(lockfile: string, name: string): string | undefined {
  return versionIn(parseJson(lockfile, 'the lock file'), name);
}

type Lock = Record<string, unknown>;

function versionIn(lock: Lock, name: string): string | undefined {
  const packages = lock['packages'] as Record<string, { version?: unknown }> | undefined;
  const v =
    packages?.[`node_modules/${name}`]?.version ??
    (lock['dependencies'] as Record<string, { version?: unknown }> | undefined)?.[name]?.version;
  return typeof v === 'string' ? v : undefined;
}

/** The versions of a package a log shows (`@acme/connector@2.0.0`), in order. */
export function versionsInLog(text: string, name: string): string[] {
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`(?<![\\w@/.-])${escaped}@v?(\\d+\\.\\d+\\.\\d+(?:-[\\w.]+)?)`, 'g');
  const found: string[] = [];
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) found.push(m[1] as string);
  return found;
}

/** Requirements the rest of the project puts on the package: peers declared on it in the lock file. */
function peerRequirements(lock: Lock | undefined, name: string): Array<{ by: string; range: string }> {
  const packages = lock?.['packages'];
  if (typeof packages !== 'object' || packages === null) return [];
  const out: Array<{ by: string; range: string }> = [];
  for (const [path, entry] of Object.entries(packages as Record<string, Record<string, unknown>>)) {
    const peers = entry['peerDependencies'] as Record<string, string> | undefined;
    const range = peers?.[name];
    if (typeof range !== 'string' || path === `node_modules/${name}`) continue;
    const optional = (entry['peerDependenciesMeta'] as Record<string, { optional?: boolean }> | undefined)?.[name]?.optional === true;
    if (!optional) out.push({ by: path.replace(/^.*node_modules\//, '') || 'the project', range });
  }
  return out;
}

/** Why a version cannot be used here, or undefined when it can. */
function incompatibility(
  v: PackageVersion,
  input: RepairInput,
  lock: Lock | undefined,
  peersOnIt: Array<{ by: string; range: string }>,
): string | undefined {
  const node = v.engines['node'];
  if (node !== undefined && !semver.satisfies(input.runtime.node, node, { includePrerelease: true })) {
    return `needs Node ${node}, the project runs on ${input.runtime.node}`;
  }
  const npm = v.engines['npm'];
  if (npm !== undefined && input.runtime.npm !== undefined && !semver.satisfies(input.runtime.npm, npm, { includePrerelease: true })) {
    return `needs npm ${npm}, the project has ${input.runtime.npm}`;
  }
  for (const { by, range } of peersOnIt) {
    if (!semver.satisfies(v.version, range, { includePrerelease: true })) return `${by} needs it as a peer at ${range}`;
  }
  if (lock !== undefined) {
    for (const [peer, range] of Object.entries(v.peerDependencies)) {
      if (v.optionalPeers.includes(peer)) continue;
      const have = versionIn(lock, peer);
      if (have !== undefined && !semver.satisfies(have, range, { includePrerelease: true })) {
        return `needs the peer ${peer}@${range}, the project has ${have}`;
      }
    }
  }
  return undefined;
}

/**
 * The widest range that takes `version` and none of the versions above it that cannot be used:
 * `^v`, else `~v`, else `v` exactly — so the next update bot does not bring the breaking one back.
 */
function safeRange(version: string, unusable: readonly string[]): string {
  for (const range of [`^${version}`, `~${version}`]) {
    if (!unusable.some((u) => semver.gt(u, version) && semver.satisfies(u, range))) return range;
  }
  return version;
}

function withDependency(packageJson: string, name: string, range: string): { text: string; field: string } {
  const pkg = parseJson(packageJson, 'package.json') as PackageJson;
  const field = DEPENDENCY_FIELDS.find((f) => pkg[f]?.[name] !== undefined);
  if (field === undefined) throw new ProjectFileError(`package.json does not depend on ${name}`);
  (pkg[field] as Record<string, string>)[name] = range;
  return { text: stringifyLike(packageJson, pkg), field };
}

const join = (dir: string, file: string): string => (dir === '' || dir === '.' ? file : `${dir.replace(/\/+$/, '')}/${file}`);

/** npm's own way to bring the lock file in line with package.json, without installing or running scripts. */
export const NPM_LOCK_REFRESH = ['npm', 'install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'];

interface Draft {
  recipe: FixRecipe;
  id: string;
  title: string;
  why: string[];
  files: FileEdit[];
  regenerate: string[][];
  message: string;
}

/**
 * Fix candidates for a diagnosed build failure, best first. Pure: everything it reads is given
 * (the project's files, the registry's metadata, the runtime, past outcomes). Recipes that do not
 * apply are left out; two candidates that would make the same change are one.
 */
export function proposeFixes(input: RepairInput): FixCandidate[] {
  const drafts: Draft[] = [];
  const { project, change, packument } = input;
  const pkgPath = join(project.dir, 'package.json');
  const lockPath = join(project.dir, 'package-lock.json');
  const hasLock = project.lockfile !== undefined;
  const regenerate = hasLock ? [NPM_LOCK_REFRESH] : [];
  const name = change?.name;

  if (name !== undefined && packument !== undefined) {
    // Parsed once: a lock file can be megabytes and a packument hundreds of versions.
    const lock = project.lockfile !== undefined ? parseJson(project.lockfile, 'the lock file') : undefined;
    const peersOnIt = peerRequirements(lock, name);
    const stable = Object.values(packument.versions)
      .filter((v) => semver.valid(v.version) !== null && semver.prerelease(v.version) === null)
      .sort((a, b) => semver.rcompare(a.version, b.version));
    const verdicts = stable.map((v) => ({ v, why: incompatibility(v, input, lock, peersOnIt) }));
    const unusable = verdicts.filter((x) => x.why !== undefined || x.v.deprecated !== undefined).map((x) => x.v.version);
    const best = verdicts.find((x) => x.why === undefined && x.v.deprecated === undefined);
    const toVerdict = change?.to !== undefined ? verdicts.find((x) => x.v.version === change.to) : undefined;
    // Moving to the version that just failed is no fix; neither is moving to where a revert goes.
    if (best && best.v.version !== change?.to && best.v.version !== change?.from) {
      const range = safeRange(best.v.version, unusable);
      const edited = withDependency(project.packageJson, name, range);
      const skipped = verdicts.filter((x) => semver.gt(x.v.version, best.v.version)).slice(0, 5);
      drafts.push({
        recipe: 'move-dependency',
        id: `move-dependency:${name}@${best.v.version}`,
        title: `Move ${name} to ${best.v.version} (${range}), the newest version compatible with Node ${input.runtime.node} and the project's peers`,
        why: [
          ...(toVerdict?.why !== undefined ? [`${name}@${change?.to} ${toVerdict.why}.`] : []),
          ...skipped.map((x) => `${name}@${x.v.version} is skipped: ${x.why ?? `deprecated (${x.v.deprecated})`}.`),
          `${name}@${best.v.version} declares engines ${JSON.stringify(best.v.engines)}${
            Object.keys(best.v.peerDependencies).length ? ` and peers ${JSON.stringify(best.v.peerDependencies)}` : ''
          }: both fit.`,
          `The range ${range} in ${edited.field} keeps out every newer version that cannot be used here.`,
        ],
        files: [{ path: pkgPath, content: edited.text }],
        regenerate,
        message: `fix(deps): move ${name} to ${range}\n\n${name}${change?.to ? `@${change.to}` : ''} cannot be used here${
          toVerdict?.why ? ` (it ${toVerdict.why})` : ''
        }; ${best.v.version} is the newest version compatible with Node ${input.runtime.node} and the project's peers.`,
      });
    }
  }

  if (name !== undefined && change?.from !== undefined && change.from !== change.to) {
    const from = change.from;
    if (project.previous !== undefined) {
      // The files as they were at the last good build: the revert is exactly the state that passed.
      // A lock file can be megabytes, and a fix travels on the bus in its incident and decision: with
      // the last good commit known, the lock file is restored from it in the work tree (the
      // validator's clone has it) instead of carried, so a big project's revert is never dropped.
      const { previous } = project;
      const files: FileEdit[] = [{ path: pkgPath, content: previous.packageJson }];
      const lockFrom = previous.commit !== undefined && GIT_OBJECT_ID.test(previous.commit) ? previous.commit : undefined;
      const restoreLock =
        previous.lockfile !== undefined && lockFrom !== undefined ? [['git', 'checkout', lockFrom, '--', 'package-lock.json']] : [];
      if (previous.lockfile !== undefined && lockFrom === undefined) files.push({ path: lockPath, content: previous.lockfile });
      drafts.push({
        recipe: 'revert-update',
        id: `revert-update:${name}@${from}`,
        title: `Revert ${name} to ${from}, as at the last good build`,
        why: [
          `The build passed with ${name}@${from}; it failed after the update${change.to ? ` to ${change.to}` : ''}.`,
          `package.json${previous.lockfile !== undefined ? ' and the lock file are' : ' is'} restored as they were${
            restoreLock.length > 0 && lockFrom !== undefined ? ` (the lock file from ${lockFrom.slice(0, 12)})` : ''
          }, so the result is the state that passed.`,
        ],
        files,
        regenerate: previous.lockfile === undefined ? regenerate : restoreLock,
        message: `revert(deps): ${name} back to ${from}\n\nThe update${change.to ? ` to ${change.to}` : ''} broke the build; ${from} is the last version it passed with.`,
      });
    } else if (semver.valid(from) !== null) {
      // Without the old files, pin exactly: a range could resolve to the version that broke it.
      const edited = withDependency(project.packageJson, name, from);
      drafts.push({
        recipe: 'revert-update',
        id: `revert-update:${name}@${from}`,
        title: `Pin ${name} to ${from}, the version of the last good build`,
        why: [
          `The build passed with ${name}@${from}; it failed after the update${change.to ? ` to ${change.to}` : ''}.`,
          `Pinned exactly (${from}) in ${edited.field}: a range could resolve to a newer version not known to pass.`,
        ],
        files: [{ path: pkgPath, content: edited.text }],
        regenerate,
        message: `revert(deps): pin ${name} to ${from}\n\nThe update${change.to ? ` to ${change.to}` : ''} broke the build; ${from} is the last version it passed with.`,
      });
    }
  }

  const needed = name !== undefined && change?.to !== undefined ? packument?.versions[change.to]?.engines['node'] : undefined;
  const declared = (parseJson(project.packageJson, 'package.json') as PackageJson).engines?.['node'];
  if (needed !== undefined && !semver.satisfies(input.runtime.node, needed) && (declared !== undefined || project.nvmrc !== undefined)) {
    const pkg = parseJson(project.packageJson, 'package.json') as PackageJson;
    const files: FileEdit[] = [];
    if (declared !== undefined) {
      pkg.engines = { ...pkg.engines, node: needed };
      files.push({ path: pkgPath, content: stringifyLike(project.packageJson, pkg) });
    }
    const minimum = semver.minVersion(needed);
    if (project.nvmrc !== undefined && minimum !== null) {
      files.push({ path: join(project.dir, '.nvmrc'), content: `${minimum.major}\n` });
    }
    drafts.push({
      recipe: 'adjust-runtime',
      id: `adjust-runtime:node@${needed}`,
      title: `Move the project to Node ${needed}, as ${name}@${change?.to} requires`,
      why: [
        `${name}@${change?.to} declares engines.node ${needed}; the project runs on ${input.runtime.node}${declared ? ` and declares ${declared}` : ''}.`,
        'Ranked low: it holds only where CI installs the runtime the project declares, and it moves every other dependency to a new runtime too.',
      ],
      files,
      regenerate: [],
      message: `build(runtime): require Node ${needed}\n\n${name}@${change?.to} needs Node ${needed}.`,
    });
  }

  if (hasLock && (input.category === 'lock-file' || input.category === 'dependency-resolution')) {
    drafts.push({
      recipe: 'refresh-lock',
      id: 'refresh-lock',
      title: 'Bring the lock file in line with package.json',
      why: [`A ${input.category} failure: the lock file may not match package.json; npm regenerates it from package.json as it is.`],
      files: [],
      regenerate: [NPM_LOCK_REFRESH],
      message: 'build(deps): refresh the lock file\n\nThe lock file no longer matched package.json.',
    });
  }

  drafts.push({
    recipe: 'retry',
    id: 'retry',
    title: 'Run the build again unchanged',
    why: [
      input.category === 'infrastructure'
        ? 'The failure looks like the machine or the network, not the code: a run again may pass.'
        : `A ${input.category} failure is rarely fixed by running again; kept last, for flaky builds.`,
    ],
    files: [],
    regenerate: [],
    message: '',
  });

  const seen = new Set<string>();
  const candidates: FixCandidate[] = [];
  for (const d of drafts) {
    const key = JSON.stringify([d.files, d.regenerate]);
    if (seen.has(key) && d.recipe !== 'retry') continue;
    seen.add(key);
    const prior = priorOf(d.recipe, input.category);
    const outcomes = input.outcomes?.[d.recipe];
    const score = rankScore(prior, outcomes);
    const history =
      outcomes && outcomes.successes + outcomes.failures > 0
        ? `Before, on this signature: ${outcomes.successes} fixed, ${outcomes.failures} did not (prior ${prior} for a ${input.category} failure) → ${score}.`
        : `No outcomes yet for this signature: the recipe's prior for a ${input.category} failure, ${prior}.`;
    candidates.push({
      id: d.id,
      recipe: d.recipe,
      title: d.title,
      explanation: [...d.why, history],
      score,
      files: d.files,
      regenerate: d.regenerate,
      message: d.message,
    });
  }
  // Ties keep the recipes' order: the move before the revert, the revert before a runtime change.
  return candidates
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.score - a.c.score || a.i - b.i)
    .map(({ c }) => c);
}
