import type { ActionSpec, BuildFailure, BuildReported, FixCandidateData, LoopSpec } from '@homeostat/contracts';
import { splitLines } from './log-lines';
import { ProjectFileError, proposeFixes, type DependencyChange, type FixCandidate } from './propose';
import type { Packument } from './registry';
import { boundedFeatures, mergeSimilar, similarFailures, type SimilarPastFailure } from './similarity';
import type { BuildDiagnosis } from './triage';

/**
 * The repair loop's reasoning between the stages (DESIGN.md, "Three kinds of loop, one pipeline"):
 * which change a failed build is blamed on, the fixes as the decider's candidates for one
 * incident, and what the forge shows people. Pure: the stages do the I/O.
 */

type Lock = { packages?: Record<string, { version?: unknown }>; dependencies?: Record<string, { version?: unknown }> };

function topLevelVersions(lockfile: string): Map<string, string> {
  let lock: Lock;
  try {
    lock = JSON.parse(lockfile) as Lock;
  } catch {
    return new Map();
  }
  const out = new Map<string, string>();
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    const name = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(path)?.[1];
    if (name !== undefined && typeof entry.version === 'string') out.set(name, entry.version);
  }
  for (const [name, entry] of Object.entries(lock.dependencies ?? {})) {
    if (!out.has(name) && typeof entry.version === 'string') out.set(name, entry.version);
  }
  return out;
}

/** The top-level packages whose locked version differs between the last good build's lock file and the failed one's. */
export function dependencyChanges(previousLock: string, lock: string): DependencyChange[] {
  const before = topLevelVersions(previousLock);
  const after = topLevelVersions(lock);
  const changes: DependencyChange[] = [];
  for (const [name, to] of after) {
    const from = before.get(name);
    if (from !== to) changes.push({ name, ...(from === undefined ? {} : { from }), to });
  }
  for (const [name, from] of before) if (!after.has(name)) changes.push({ name, from });
  return changes;
}

export interface BlamedChange extends DependencyChange {
  readonly evidence: string[];
}

/**
 * The change the failure is blamed on: among the dependencies the update changed, the one the
 * log's triage ranks highest; when the log names none of them (a test that fails on a changed
 * behaviour says nothing of packages), the project's own direct dependency that changed.
 */
export function blameChange(
  diagnosis: BuildDiagnosis,
  changes: readonly DependencyChange[],
  direct: readonly string[],
): BlamedChange | undefined {
  if (changes.length === 0) return undefined;
  const describe = (c: DependencyChange): string => `${c.name} ${c.from ?? '(new)'} → ${c.to ?? '(removed)'}`;
  for (const culprit of diagnosis.culprits) {
    const change = changes.find((c) => c.name === culprit.name);
    if (change !== undefined)
      return { ...change, evidence: [`the log names ${culprit.name} (score ${culprit.score})`, `the update changed ${describe(change)}`] };
  }
  const directChanges = changes.filter((c) => direct.includes(c.name));
  const change = directChanges[0] ?? (changes.length === 1 ? changes[0] : undefined);
  if (change === undefined) return undefined;
  return {
    ...change,
    evidence: [
      `the log names none of the changed packages; ${directChanges.length === 1 ? 'the only direct dependency' : changes.length === 1 ? 'the only package' : 'the first direct dependency'} the update changed: ${describe(change)}`,
    ],
  };
}

/** A proposed fix as the incident carries it: its rank score before any outcome is the recipe's prior. */
export function fixCandidateData(c: FixCandidate): FixCandidateData {
  return {
    id: c.id,
    recipe: c.recipe,
    title: c.title,
    explanation: c.explanation.slice(0, 20),
    prior: Math.min(1, Math.max(0, c.score)),
    files: c.files.map((f) => ({ path: f.path, content: f.content })),
    regenerate: c.regenerate.map((r) => [...r]),
    message: c.message,
  };
}

/** The incident's title: what failed and what is blamed. */
export function buildFailureTitle(failure: Pick<BuildFailure, 'category' | 'culprit' | 'pipeline' | 'job' | 'branch'>): string {
  const culprit = failure.culprit ? `, after ${failure.culprit.name} ${failure.culprit.from ?? '?'} → ${failure.culprit.to ?? '?'}` : '';
  return `${failure.pipeline}/${failure.job} failed on ${failure.branch}: ${failure.category}${culprit}`;
}

/** What the decider ranks for one repair incident: the loop's catalog narrowed to the fixes proposed, each with its fix. */
export interface RepairCatalog {
  readonly loop: LoopSpec;
  /** Each candidate's prior chance to fix this failure (replaces the risk's default prior). */
  readonly priors: Readonly<Record<string, number>>;
}

/**
 * The candidates of one repair incident: the loop's actions whose recipe was proposed for this
 * failure, with the concrete fix in their params (the executor applies exactly that). Actions the
 * loop declares but that do not apply here are left out; a proposed fix the loop has no action for
 * is not used (the spec says which recipes the loop may apply, at what risk and autonomy).
 */
export function repairCatalog(loop: LoopSpec, failure: BuildFailure): RepairCatalog {
  const actions: ActionSpec[] = [];
  const priors: Record<string, number> = {};
  for (const fix of failure.fixes) {
    const action = loop.spec.actions.find((a) => a.name === fix.recipe);
    if (action === undefined || priors[action.name] !== undefined) continue;
    priors[action.name] = fix.prior;
    actions.push({
      ...action,
      params: {
        ...action.params,
        fix: { id: fix.id, title: fix.title, files: fix.files, regenerate: fix.regenerate, message: fix.message },
        repository: failure.repository,
        branch: failure.branch,
        commit: failure.commit,
        diagnosis: {
          category: failure.category,
          signature: failure.signature,
          ...(failure.culprit ? { culprit: `${failure.culprit.name} ${failure.culprit.from ?? '?'} → ${failure.culprit.to ?? '?'}` } : {}),
          reasonText: failure.reasonText.slice(0, 15),
        },
      },
    });
  }
  // The actions' inverses are not kept: a fix is never rolled back, it is pushed only after it passed.
  return { loop: { ...loop, spec: { ...loop.spec, actions: actions.map(({ inverse: _inverse, ...a }) => a) } }, priors };
}

/** The branch a validated fix for `branch` goes to. */
export function fixBranchFor(pushTo: 'pr-branch' | 'fix-branch', prefix: string, branch: string): string {
  return pushTo === 'pr-branch' ? branch : `${prefix}${branch}`;
}

export interface RepairValidationReport {
  readonly passed: boolean;
  readonly commit?: string;
  readonly pushed?: { readonly branch: string; readonly commit: string };
  readonly steps: ReadonlyArray<{ argv: readonly string[]; exitCode: number | null; timedOut: boolean; durationMs: number }>;
  readonly error?: string;
}

export interface RepairReport {
  readonly decisionId: string;
  readonly incidentId: string;
  readonly attempt: number;
  readonly mode: string;
  readonly fix: { readonly id: string; readonly title: string; readonly message: string; readonly files: ReadonlyArray<{ path: string }> };
  readonly diagnosis?: {
    readonly category: string;
    readonly signature: string;
    readonly culprit?: string;
    readonly reasonText: readonly string[];
  };
  readonly validation?: RepairValidationReport;
  /** Earlier attempts on this build, as the comment listed them. */
  readonly earlier?: readonly string[];
  /**
   * The fix as a patch (`git format-patch`) while it waits for a person's approval, the one command
   * that applies it, and the project's commands run on the patched commit before anyone approves.
   */
  readonly proposal?:
    { readonly patch: string; readonly apply: string; readonly checked?: RepairValidationReport } | { readonly error: string };
  /** The decision's page in the console, when the console has a public address. */
  readonly decisionUrl?: string;
}

/** Characters of the patch shown in the comment (the whole patch is on the forge beside it). */
const SHOWN_PATCH_CHARS = 60_000;

/** The one comment Homeostat keeps on a pull request, rewritten in place at each attempt. */
export function renderRepairComment(r: RepairReport): string {
  const lines = ['<!-- homeostat:repair -->', `## Homeostat: build repair (attempt ${r.attempt})`, ''];
  if (r.diagnosis) {
    lines.push('### Diagnosis', `- category: \`${r.diagnosis.category}\``, `- signature: \`${r.diagnosis.signature}\``);
    if (r.diagnosis.culprit) lines.push(`- culprit: ${r.diagnosis.culprit}`);
    if (r.diagnosis.reasonText.length > 0) lines.push('', '```', ...r.diagnosis.reasonText.slice(0, 15), '```');
    lines.push('');
  }
  lines.push(
    '### Fix',
    `**${r.fix.title}** (\`${r.fix.id}\`)`,
    '',
    `changes: ${r.fix.files.map((f) => `\`${f.path}\``).join(', ') || 'none'}`,
    '',
  );
  const p = r.proposal;
  if (p !== undefined && 'patch' in p) {
    const shown =
      p.patch.length > SHOWN_PATCH_CHARS ? `${p.patch.slice(0, SHOWN_PATCH_CHARS)}\n… (${p.patch.length} characters in all)` : p.patch;
    lines.push(
      '### Patch',
      'Apply it on the branch with:',
      '',
      '```sh',
      p.apply,
      '```',
      '',
      '```diff',
      shown.replace(/\n$/, ''),
      '```',
      '',
    );
  } else if (p !== undefined) {
    lines.push('### Patch', `not made: ${p.error}`, '');
  }
  const v = r.validation;
  const checked = p !== undefined && 'patch' in p ? p.checked : undefined;
  const steps = (run: RepairValidationReport): string[] =>
    run.steps.map((s) => `- \`${s.argv.join(' ')}\`: ${s.timedOut ? 'timed out' : `exit ${s.exitCode}`} in ${s.durationMs} ms`);
  if (v === undefined && r.mode === 'approval-required') {
    lines.push('### Validation');
    if (checked !== undefined) {
      lines.push(
        `before approval, on the patched commit: ${checked.passed ? 'passed' : 'failed'}${checked.error ? `: ${checked.error}` : ''}`,
        '',
        ...steps(checked),
        '',
      );
    }
    lines.push(
      `waiting for approval: approve decision ${r.decisionId} for Homeostat to validate the fix again on the branch as it is then and push it if it passes, or apply the patch yourself. Nothing was pushed.`,
    );
  } else if (v === undefined) {
    lines.push('### Validation', `not run (${r.mode}): the fix is proposed only; nothing was pushed.`);
  } else {
    lines.push('### Validation', `${v.passed ? 'passed' : 'failed'}${v.error ? `: ${v.error}` : ''}`, '', ...steps(v));
    if (v.pushed) lines.push('', `Pushed ${v.pushed.commit} to \`${v.pushed.branch}\`. Homeostat never merges.`);
    else lines.push('', 'Nothing was pushed.');
  }
  if (r.earlier && r.earlier.length > 0) lines.push('', '### Tried before', ...r.earlier.map((e) => `- ${e}`));
  const link = r.decisionUrl ? ` or [in the console](${r.decisionUrl})` : '';
  lines.push('', `Decision ${r.decisionId} of incident ${r.incidentId}: \`homeostat explain ${r.decisionId}\`${link}.`);
  return lines.join('\n') + '\n';
}

/** The repair loop that watches a build: kind repair, with a build signal for its pipeline (and job and repository, when the signal names them). */
export function repairLoopFor(
  build: Pick<BuildReported, 'pipeline' | 'job' | 'repository'>,
  loops: readonly LoopSpec[],
): LoopSpec | undefined {
  return loops.find(
    (l) =>
      l.spec.kind === 'repair' &&
      l.spec.signals.some(
        (s) =>
          s.kind === 'build' &&
          (s.pipeline === '*' || s.pipeline === build.pipeline) &&
          (s.job === undefined || s.job === build.job) &&
          (s.repository === undefined || s.repository === build.repository),
      ),
  );
}

export interface ProjectFiles {
  readonly packageJson?: string;
  readonly lockfile?: string;
  readonly nvmrc?: string;
  /** The commit the files were read at, when it is known. */
  readonly commit?: string;
}

export interface BuildFailureInput {
  readonly build: BuildReported;
  readonly baseBranch: string;
  readonly diagnosis: BuildDiagnosis;
  /** The project's files at the failed commit, and at the base branch (the last good build). */
  readonly files: ProjectFiles;
  readonly previous: ProjectFiles;
  readonly projectDir: string;
  /** The blamed package's metadata, when the registry had it. */
  readonly packument?: Packument;
  readonly runtime: { readonly node: string; readonly npm?: string };
  /** Past failures of the loop (id, signature, features), for the similar ones. */
  readonly past: ReadonlyArray<{
    readonly incidentId: string;
    readonly signature: string;
    readonly features: Readonly<Record<string, number>>;
  }>;
  /** Similar failures the learner found among every stored failure (any loop), when it answered. */
  readonly stored?: readonly SimilarPastFailure[];
  /** Why something could not be read (the registry did not answer, …): kept in the failure's notes. */
  readonly notes?: readonly string[];
}

/** The log text of the reason lines (the first few), for people and for the forge comment. */
function reasonText(log: string, ranges: ReadonlyArray<readonly [number, number]>): string[] {
  const lines = splitLines(log);
  const out: string[] = [];
  for (const [a, b] of ranges) {
    for (let n = a; n <= b && out.length < 40; n++) out.push((lines[n - 1] ?? '').slice(0, 500));
    if (out.length >= 40) break;
  }
  return out;
}

/** The package a failure is blamed on, so the analyzer can ask the registry for it before proposing fixes. */
export function blamedChangeOf(input: Pick<BuildFailureInput, 'diagnosis' | 'files' | 'previous'>): BlamedChange | undefined {
  const { files, previous } = input;
  if (files.lockfile === undefined || previous.lockfile === undefined) return undefined;
  let direct: string[] = [];
  try {
    const pkg = JSON.parse(files.packageJson ?? '{}') as Record<string, Record<string, string> | undefined>;
    direct = ['dependencies', 'devDependencies', 'optionalDependencies'].flatMap((f) => Object.keys(pkg[f] ?? {}));
  } catch {
    direct = [];
  }
  return blameChange(input.diagnosis, dependencyChanges(previous.lockfile, files.lockfile), direct);
}

/** A failed build as the repair loop's incident carries it: the diagnosis, the change blamed, similar failures and the fixes. */
export function buildFailureOf(input: BuildFailureInput): BuildFailure {
  const { build, diagnosis, files, previous } = input;
  const notes = [...(input.notes ?? [])];
  const culprit = blamedChangeOf(input);
  let fixes: FixCandidateData[] = [];
  if (files.packageJson === undefined)
    notes.push(`no package.json in '${input.projectDir || '.'}' at ${build.commit}: no fix can be proposed`);
  else {
    try {
      fixes = proposeFixes({
        category: diagnosis.category,
        signature: diagnosis.signature,
        ...(culprit
          ? { change: { name: culprit.name, ...(culprit.from ? { from: culprit.from } : {}), ...(culprit.to ? { to: culprit.to } : {}) } }
          : {}),
        project: {
          dir: input.projectDir,
          packageJson: files.packageJson,
          ...(files.lockfile !== undefined ? { lockfile: files.lockfile } : {}),
          ...(files.nvmrc !== undefined ? { nvmrc: files.nvmrc } : {}),
          ...(previous.packageJson !== undefined
            ? {
                previous: {
                  packageJson: previous.packageJson,
                  ...(previous.lockfile !== undefined ? { lockfile: previous.lockfile } : {}),
                  ...(previous.commit !== undefined ? { commit: previous.commit } : {}),
                },
              }
            : {}),
        },
        ...(input.packument ? { packument: input.packument } : {}),
        runtime: input.runtime,
      })
        .slice(0, 10)
        .map(fixCandidateData);
    } catch (error) {
      if (!(error instanceof ProjectFileError)) throw error;
      notes.push(`the project's files could not be read: ${error.message}`);
    }
  }
  const features = boundedFeatures(diagnosis.features);
  const current = { id: '', features };
  const own = similarFailures([current, ...input.past.map((p) => ({ id: p.incidentId, features: p.features }))], 5).get('') ?? [];
  const signatures = new Map(input.past.map((p) => [p.incidentId, p.signature]));
  const similar = mergeSimilar(
    own.map((s) => ({ incidentId: s.id, signature: signatures.get(s.id) ?? '', score: Math.min(1, s.score) })),
    (input.stored ?? []).map((s) => ({ ...s, score: Math.min(1, s.score) })),
    5,
  );
  return {
    repository: build.repository,
    branch: build.branch ?? build.commit,
    commit: build.commit,
    baseBranch: input.baseBranch,
    pipeline: build.pipeline,
    job: build.job,
    ...(build.runId !== undefined ? { runId: build.runId } : {}),
    ...(build.url !== undefined ? { url: build.url } : {}),
    ...(build.pullRequest !== undefined
      ? { pullRequest: { number: build.pullRequest.number, ...(build.pullRequest.url ? { url: build.pullRequest.url } : {}) } }
      : {}),
    reasonLines: diagnosis.reasonLines.slice(0, 200),
    reasonText: reasonText(build.log ?? '', diagnosis.reasonLines),
    category: diagnosis.category,
    signature: diagnosis.signature,
    ...(culprit
      ? {
          culprit: {
            name: culprit.name,
            ...(culprit.from ? { from: culprit.from } : {}),
            ...(culprit.to ? { to: culprit.to } : {}),
            evidence: culprit.evidence.slice(0, 10),
          },
        }
      : {}),
    similar: similar.filter((s) => s.signature !== '').map((s) => ({ incidentId: s.incidentId, signature: s.signature, score: s.score })),
    features,
    fixes,
    notes: notes.slice(0, 10),
  };
}

/** `${VAR}` and `${VAR:-default}` in a spec's setting (the registry's URL), from the given environment. */
export function substituteEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_m, name: string, dflt: string | undefined) => env[name] ?? dflt ?? '',
  );
}
