import * as path from 'node:path';
import {
  DEFAULT_REPAIR_SPEC,
  parseDuration,
  type ActionCall,
  type DecisionMade,
  type LoopSpec,
  type RepairForge,
  type RepairSpec,
} from '@homeostat/contracts';
import {
  expiredRepairOutcome,
  planRepairResume,
  pushedBeforeStopOutcome,
  repairValidationOf,
  withDecisionTrailer,
  type OutcomeInit,
  type RemoteFinding,
  type RepairActuator,
  type ValidationRun,
} from '@homeostat/execution';
import {
  decisionLink,
  fixBranchFor,
  gitAuthEnv,
  isGithubRepository,
  renderRepairComment,
  repairCommitStatus,
  substituteEnv,
  type RepairReport,
  type RepairValidationReport,
} from '@homeostat/repair';
import { GitValidator } from './git-validator';
import { GithubForge, GithubForgeError } from './github-forge';
import { commentRef, LocalGitForge } from './local-git-forge';

/** The proposed fix's patch, beside the comment on the pull request's comment ref. */
const PATCH_FILE = 'fix.patch';
/** A word for a POSIX shell: as it is when plain, else single-quoted. */
const shellQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

interface FixParams {
  fix: { id: string; title: string; files: Array<{ path: string; content: string }>; regenerate: string[][]; message: string };
  repository: string;
  branch: string;
  commit: string;
  diagnosis?: RepairReport['diagnosis'];
}

/** The params a repair decision carries (see the repair lib's repairCatalog); undefined when they are not that. */
function fixParams(call: ActionCall): FixParams | undefined {
  const p = call.params as Partial<FixParams>;
  const fix = p.fix;
  if (typeof p.repository !== 'string' || typeof p.branch !== 'string' || typeof p.commit !== 'string') return undefined;
  if (typeof fix !== 'object' || fix === null || typeof fix.id !== 'string' || !Array.isArray(fix.files) || !Array.isArray(fix.regenerate))
    return undefined;
  return p as FixParams;
}

/**
 * Whether the comment already tells this attempt (the repair's run wrote it before the executor
 * stopped): a resumed repair then leaves it, rather than adding the attempt a second time.
 */
const alreadyWritten = (state: Record<string, unknown> | undefined, decisionId: string, line: string): boolean =>
  state?.['decisionId'] === decisionId && Array.isArray(state['attempts']) && state['attempts'].at(-1) === line;

export interface GitRepairOptions {
  /** The npm cache the validations share (public package data only). */
  readonly npmCache: string;
  /** Where validation work trees go. */
  readonly workRoot?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The console's public address: statuses and comments on a forge link to the decision there. */
  readonly consoleUrl?: string;
  /** GitHub's pacing of writes and its rate limits kept (default); off only for a test server on loopback. */
  readonly githubThrottle?: boolean;
}

/** A loop's GitHub forge, ready: the API client, and where and how git reaches the repository. */
interface GithubTarget {
  readonly forge: GithubForge;
  readonly gitUrl: string;
  readonly gitEnv: Record<string, string>;
}

/**
 * The repair loop's VCS adapter: the decision's fix validated by GitValidator in a fresh clone
 * (the project's own install and test commands, no secrets in their environment), pushed to the
 * fix branch only when they pass (never the base or a protected branch), and the pull request's
 * comment and the commit's status updated on the forge: GitHub when the loop's `repair.forge`
 * names it (the token from the environment variable it names, given to git through git's
 * environment only), else the repository itself when it is a bare repository on disk. A repository
 * reached by URL without a forge gets the validation and the push but no comment (GitLab: none).
 */
export class GitRepairActuator implements RepairActuator {
  constructor(private readonly options: GitRepairOptions) {}

  apply(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec): Promise<OutcomeInit> {
    return this.attempt(decision, spec, Date.now() + parseDuration(spec.spec.verification.deadline), false);
  }

  /**
   * After a restart: the push branch is read first, and the fix commit found there (by its
   * decision trailer) is reported without validating or pushing again; only when none is there
   * does the validation run again, until the claim's deadline.
   */
  resume(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec, deadlineMs: number): Promise<OutcomeInit> {
    return this.attempt(decision, spec, deadlineMs, true);
  }

  private async attempt(
    decision: DecisionMade & { action: ActionCall },
    spec: LoopSpec,
    deadline: number,
    resumed: boolean,
  ): Promise<OutcomeInit> {
    const params = fixParams(decision.action);
    const notRun = (message: string, code: 'ADAPTER_PARAMS_INVALID' | 'ADAPTER_FAILED' = 'ADAPTER_PARAMS_INVALID'): OutcomeInit => ({
      status: 'failed',
      applied: false,
      verification: { passed: false, checks: [], detail: message },
      timeToRecoverMs: null,
      error: { code, message },
    });
    if (params === undefined) return notRun(`decision ${decision.decisionId} carries no fix (params: fix, repository, branch, commit)`);
    const repair = spec.spec.repair ?? DEFAULT_REPAIR_SPEC;
    const pushBranch = fixBranchFor(repair.pushTo, repair.fixBranchPrefix, params.branch);
    let validator: GitValidator;
    let github: GithubTarget | undefined;
    try {
      github = this.githubTarget(repair, params);
      // GitHub's own word on the branch, before anything runs: the push comes only after the tests.
      const refusal = await github?.forge.pushRefusal(pushBranch);
      if (refusal !== undefined) return notRun(`push refused: ${refusal}`);
      validator = await GitValidator.open({
        repository: github?.gitUrl ?? params.repository,
        ...(github ? { gitEnv: github.gitEnv } : {}),
        base: params.commit,
        projectDir: repair.projectDir,
        commands: [repair.install, repair.test],
        pushBranch,
        defaultBranch: repair.baseBranch,
        protectedBranches: repair.protectedBranches,
        commandTimeoutMs: parseDuration(repair.commandTimeout),
        env: {
          path: this.options.env['PATH'] ?? '',
          npmCache: this.options.npmCache,
          extra: { npm_config_registry: substituteEnv(repair.registry, this.options.env) },
        },
        ...(this.options.workRoot ? { workRoot: this.options.workRoot } : {}),
      });
    } catch (error) {
      // GitHub not answering is the forge failing, not the decision being wrong.
      return notRun(
        error instanceof Error ? error.message : String(error),
        error instanceof GithubForgeError ? 'ADAPTER_FAILED' : undefined,
      );
    }
    const remote = github?.gitUrl ?? params.repository;
    if (resumed) {
      let found: RemoteFinding;
      try {
        found = await validator.pushedFor(decision.decisionId);
      } catch (error) {
        // Whether the fix went out is unknown: validating again could push it a second time.
        const reason = error instanceof Error ? error.message : String(error);
        return notRun(
          `could not read ${pushBranch} to see whether the fix was pushed before the stop, so it is not validated again: ${reason}`,
          'ADAPTER_FAILED',
        );
      }
      const plan = planRepairResume(found, decision.decisionId, Date.now(), deadline);
      if (plan.step === 'expired') return expiredRepairOutcome(plan);
      if (plan.step === 'pushed') {
        const outcome = pushedBeforeStopOutcome(plan, remote);
        // The stop may have come between the push and the forge: the status and comment are written unless already there.
        const pushedRun: ValidationRun = {
          changeId: params.fix.id,
          passed: true,
          commit: plan.commit,
          pushed: { branch: plan.branch, commit: plan.commit },
          steps: [],
          durationMs: 0,
        };
        const forgeNote = await this.updateForge(decision, params, pushedRun, undefined, github).catch(
          (error: unknown) => `the forge was not updated: ${error instanceof Error ? error.message : String(error)}`,
        );
        return { ...outcome, verification: { ...outcome.verification, detail: `${outcome.verification.detail}; ${forgeNote}` } };
      }
    }
    const run = await validator.validate(
      {
        id: params.fix.id,
        files: params.fix.files,
        regenerate: params.fix.regenerate,
        // The trailer is how a restart recognises this decision's commit on the remote.
        message: withDecisionTrailer(params.fix.message, decision.decisionId),
      },
      { deadline },
    );
    const forgeNote = await this.updateForge(decision, params, run, undefined, github).catch(
      (error: unknown) => `the forge was not updated: ${error instanceof Error ? error.message : String(error)}`,
    );
    const checks = run.steps.map((s) => ({
      name: s.argv.join(' '),
      passed: s.exitCode === 0,
      observed: s.timedOut ? 'timed out' : (s.exitCode ?? s.signal ?? 'no exit code'),
      detail: `${s.durationMs} ms; ${s.outputTail.slice(-600)}`,
    }));
    const detail =
      (run.passed
        ? `the project's commands passed on ${run.commit}${run.pushed ? `, pushed to ${run.pushed.branch}` : ''}`
        : `not fixed: ${run.error ?? 'a command failed'}; nothing was pushed`) + `; ${forgeNote}`;
    return {
      status: run.passed ? 'succeeded' : 'failed',
      // The fix was tried for real (committed in a work tree and tested): its result teaches either way.
      applied: run.steps.length > 0,
      verification: { passed: run.passed, checks, detail },
      timeToRecoverMs: run.passed ? run.durationMs : null,
      ...(params.repository !== '' ? { repair: repairValidationOf(run, remote) } : {}),
      ...(run.passed
        ? {}
        : { error: { code: run.steps.length > 0 ? 'VERIFICATION_FAILED' : 'ADAPTER_FAILED', message: run.error ?? 'failed' } }),
    };
  }

  /**
   * Shadow: the diagnosis and the fix are written on the forge. Waiting for approval (propose): the
   * fix's patch too, made in a fresh clone (its regenerated lock file included), with the one
   * command that applies it, so a person can apply it as well as approve it.
   */
  async propose(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec): Promise<string> {
    const params = fixParams(decision.action);
    if (params === undefined) return 'nothing recorded: the decision carries no fix';
    const repair = spec.spec.repair ?? DEFAULT_REPAIR_SPEC;
    let github: GithubTarget | undefined;
    try {
      github = this.githubTarget(repair, params);
    } catch (error) {
      return `nothing recorded: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (github === undefined && (await LocalGitForge.of(params.repository, this.options.env['PATH'] ?? '')) === undefined) {
      return `no forge for ${params.repository} (a bare repository on disk has one; another needs the loop's repair.forge)`;
    }
    let proposal: RepairReport['proposal'];
    if (decision.mode === 'approval-required') {
      const made = await this.patchOf(params, spec, github).catch((error: unknown) => ({
        error: error instanceof Error ? error.message : String(error),
      }));
      proposal =
        'patch' in made
          ? {
              patch: made.patch,
              // On GitHub the patch is in the comment itself; locally it is a file beside the comment.
              apply: github
                ? `git am ${PATCH_FILE}   # the patch below, saved as ${PATCH_FILE}`
                : `git fetch ${shellQuote(params.repository)} ${shellQuote(commentRef(params.branch))} && git show FETCH_HEAD:${PATCH_FILE} | git am`,
              checked: made.checked,
            }
          : made;
    }
    return this.updateForge(decision, params, undefined, proposal, github).catch(
      (error: unknown) => `the forge was not updated: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  /**
   * The loop's GitHub forge for this build; undefined when the loop names none. Throws, with what
   * to fix, when its token is not set or the build is of another repository than the forge's.
   */
  private githubTarget(repair: RepairSpec, params: FixParams): GithubTarget | undefined {
    const spec: RepairForge | undefined = repair.forge;
    if (spec?.kind !== 'github') return undefined;
    const token = this.options.env[spec.tokenEnv];
    if (token === undefined || token === '') {
      throw new Error(`the loop's GitHub forge reads its token from the environment variable ${spec.tokenEnv}, which is not set`);
    }
    if (!isGithubRepository(params.repository, spec)) {
      throw new Error(`the build is of ${params.repository}, not of the loop's GitHub repository ${spec.owner}/${spec.repo}`);
    }
    const gitUrl = spec.gitUrl ?? `https://github.com/${spec.owner}/${spec.repo}.git`;
    return {
      forge: new GithubForge({
        owner: spec.owner,
        repo: spec.repo,
        token,
        apiUrl: spec.apiUrl,
        throttle: this.options.githubThrottle ?? true,
      }),
      gitUrl,
      gitEnv: gitAuthEnv(gitUrl, token),
    };
  }

  /**
   * The fix as a patch on the failed commit, made in a fresh clone as a validation would make its
   * commit, and the project's commands run on it: a person asked to approve a fix sees whether it passes.
   */
  private async patchOf(
    params: FixParams,
    spec: LoopSpec,
    github?: GithubTarget,
  ): Promise<{ patch: string; checked: RepairValidationReport } | { error: string }> {
    const repair = spec.spec.repair ?? DEFAULT_REPAIR_SPEC;
    const validator = await GitValidator.open({
      repository: github?.gitUrl ?? params.repository,
      ...(github ? { gitEnv: github.gitEnv } : {}),
      base: params.commit,
      projectDir: repair.projectDir,
      commands: [repair.install, repair.test],
      defaultBranch: repair.baseBranch,
      commandTimeoutMs: parseDuration(repair.commandTimeout),
      env: {
        path: this.options.env['PATH'] ?? '',
        npmCache: this.options.npmCache,
        extra: { npm_config_registry: substituteEnv(repair.registry, this.options.env) },
      },
      ...(this.options.workRoot ? { workRoot: this.options.workRoot } : {}),
    });
    const run = await validator.patch(
      { id: params.fix.id, files: params.fix.files, regenerate: params.fix.regenerate, message: params.fix.message },
      { deadline: Date.now() + parseDuration(spec.spec.verification.deadline) },
    );
    if (run.patch === undefined) return { error: run.error ?? 'the patch could not be made' };
    return {
      patch: run.patch,
      checked: {
        passed: run.passed,
        steps: run.steps,
        ...(run.commit ? { commit: run.commit } : {}),
        ...(run.error ? { error: run.error } : {}),
      },
    };
  }

  /** Rewrites the pull request's one comment and sets the commit's status; says what it did. */
  private async updateForge(
    decision: DecisionMade,
    params: FixParams,
    run: ValidationRun | undefined,
    proposal?: RepairReport['proposal'],
    github?: GithubTarget,
  ): Promise<string> {
    if (github !== undefined) return this.updateGithub(github.forge, decision, params, run, proposal);
    const forge = await LocalGitForge.of(params.repository, this.options.env['PATH'] ?? '');
    if (forge === undefined)
      return `no forge for ${params.repository} (a bare repository on disk has one; another needs the loop's repair.forge)`;
    const previous = await forge.readComment(params.branch);
    const earlier = Array.isArray(previous?.state['attempts']) ? (previous.state['attempts'] as string[]) : [];
    const { report, line, state } = this.reportOf(decision, params, run, proposal, earlier);
    const attachments: Record<string, string> = proposal !== undefined && 'patch' in proposal ? { [PATCH_FILE]: proposal.patch } : {};
    const written = alreadyWritten(previous?.state, decision.decisionId, line);
    const ref = written ? undefined : await forge.writeComment(params.branch, renderRepairComment(report), state, line, attachments);
    const statusCommit = run?.pushed?.commit ?? params.commit;
    await forge.setStatus(statusCommit, {
      state: run === undefined ? 'pending' : run.passed ? 'success' : 'failure',
      description: line,
      decisionId: decision.decisionId,
    });
    const comment = ref === undefined ? 'comment already up to date' : `comment ${ref.slice(0, 12)}`;
    return `${comment} on refs/homeostat/pr/${params.branch} of ${path.basename(params.repository)}, status on ${statusCommit.slice(0, 12)}`;
  }

  /**
   * On GitHub: the status on the fix commit (or, with nothing pushed, the failed one), then the one
   * marked comment on the branch's open pull request, edited in place; no pull request, no comment.
   */
  private async updateGithub(
    forge: GithubForge,
    decision: DecisionMade,
    params: FixParams,
    run: ValidationRun | undefined,
    proposal: RepairReport['proposal'],
  ): Promise<string> {
    const statusCommit = run?.pushed?.commit ?? params.commit;
    const pr = await forge.pullRequestFor(params.branch);
    const previous = pr === undefined ? undefined : await forge.findComment(pr.number);
    const earlier = Array.isArray(previous?.state['attempts']) ? (previous.state['attempts'] as string[]) : [];
    const { report, line, state } = this.reportOf(decision, params, run, proposal, earlier);
    await forge.setStatus(statusCommit, repairCommitStatus(run, line, decision.decisionId, this.options.consoleUrl));
    const status = `status on ${statusCommit.slice(0, 12)} of ${forge.name}`;
    if (pr === undefined) return `${status}; no open pull request for ${params.branch}, so no comment`;
    if (alreadyWritten(previous?.state, decision.decisionId, line))
      return `${status}; comment already up to date on pull request #${pr.number}`;
    const written = await forge.writeComment(pr.number, renderRepairComment(report), state, previous?.id);
    return `${status}; comment ${written.url} ${written.created ? 'created' : 'updated'} on pull request #${pr.number}`;
  }

  /** The attempt's report for the comment, its one-line summary, and the state the next attempt reads back. */
  private reportOf(
    decision: DecisionMade,
    params: FixParams,
    run: ValidationRun | undefined,
    proposal: RepairReport['proposal'],
    earlier: string[],
  ): { report: RepairReport; line: string; state: Record<string, unknown> } {
    const url = decisionLink(this.options.consoleUrl, decision.decisionId);
    const report: RepairReport = {
      decisionId: decision.decisionId,
      incidentId: decision.incidentId,
      attempt: decision.attempt,
      mode: decision.mode,
      fix: params.fix,
      ...(params.diagnosis ? { diagnosis: params.diagnosis } : {}),
      ...(run
        ? {
            validation: {
              passed: run.passed,
              steps: run.steps,
              ...(run.commit ? { commit: run.commit } : {}),
              ...(run.pushed ? { pushed: run.pushed } : {}),
              ...(run.error ? { error: run.error } : {}),
            },
          }
        : {}),
      earlier,
      ...(proposal ? { proposal } : {}),
      ...(url ? { decisionUrl: url } : {}),
    };
    const checked = proposal !== undefined && 'patch' in proposal ? proposal.checked : undefined;
    const proposed = `proposed (${decision.mode})${checked === undefined ? '' : checked.passed ? ', its tests pass' : `, its tests fail (${checked.error ?? ''})`}`;
    const line = `attempt ${decision.attempt}: ${params.fix.id} ${run === undefined ? proposed : run.passed ? 'passed' : `failed (${run.error ?? ''})`}`;
    const state = { incidentId: decision.incidentId, decisionId: decision.decisionId, attempts: [...earlier, line] };
    return { report, line, state };
  }
}
