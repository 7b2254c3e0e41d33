import * as path from 'node:path';
import { DEFAULT_REPAIR_SPEC, parseDuration, type ActionCall, type DecisionMade, type LoopSpec } from '@homeostat/contracts';
import { repairValidationOf, type OutcomeInit, type RepairActuator, type ValidationRun } from '@homeostat/execution';
import { fixBranchFor, renderRepairComment, substituteEnv, type RepairReport } from '@homeostat/repair';
import { GitValidator } from './git-validator';
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

export interface GitRepairOptions {
  /** The npm cache the validations share (public package data only). */
  readonly npmCache: string;
  /** Where validation work trees go. */
  readonly workRoot?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The repair loop's VCS adapter: the decision's fix validated by GitValidator in a fresh clone
 * (the project's own install and test commands, no secrets in their environment), pushed to the
 * fix branch only when they pass (never the base or a protected branch), and the pull request's
 * comment and the commit's status updated on the local forge when the repository is one.
 * A repository reached by URL gets the validation and the push but no comment: no forge API
 * (GitHub, GitLab) is implemented.
 */
export class GitRepairActuator implements RepairActuator {
  constructor(private readonly options: GitRepairOptions) {}

  async apply(decision: DecisionMade & { action: ActionCall }, spec: LoopSpec): Promise<OutcomeInit> {
    const params = fixParams(decision.action);
    const notRun = (message: string): OutcomeInit => ({
      status: 'failed',
      applied: false,
      verification: { passed: false, checks: [], detail: message },
      timeToRecoverMs: null,
      error: { code: 'ADAPTER_PARAMS_INVALID', message },
    });
    if (params === undefined) return notRun(`decision ${decision.decisionId} carries no fix (params: fix, repository, branch, commit)`);
    const repair = spec.spec.repair ?? DEFAULT_REPAIR_SPEC;
    const pushBranch = fixBranchFor(repair.pushTo, repair.fixBranchPrefix, params.branch);
    const deadline = Date.now() + parseDuration(spec.spec.verification.deadline);
    let validator: GitValidator;
    try {
      validator = await GitValidator.open({
        repository: params.repository,
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
      return notRun(error instanceof Error ? error.message : String(error));
    }
    const run = await validator.validate(
      { id: params.fix.id, files: params.fix.files, regenerate: params.fix.regenerate, message: params.fix.message },
      { deadline },
    );
    const forgeNote = await this.updateForge(decision, params, run).catch(
      (error: unknown) => `the forge was not updated: ${String(error)}`,
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
      ...(params.repository !== '' ? { repair: repairValidationOf(run, params.repository) } : {}),
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
    const forge = await LocalGitForge.of(params.repository, this.options.env['PATH'] ?? '');
    if (forge === undefined) return `no forge for ${params.repository} (only a local bare repository has one here)`;
    let proposal: RepairReport['proposal'];
    if (decision.mode === 'approval-required') {
      const made = await this.patchOf(params, spec).catch((error: unknown) => ({
        error: error instanceof Error ? error.message : String(error),
      }));
      proposal =
        'patch' in made
          ? {
              patch: made.patch,
              apply: `git fetch ${shellQuote(params.repository)} ${shellQuote(commentRef(params.branch))} && git show FETCH_HEAD:${PATCH_FILE} | git am`,
            }
          : made;
    }
    return this.updateForge(decision, params, undefined, proposal);
  }

  /** The fix as a patch on the failed commit, made in a fresh clone as a validation would make its commit. */
  private async patchOf(params: FixParams, spec: LoopSpec): Promise<{ patch: string } | { error: string }> {
    const repair = spec.spec.repair ?? DEFAULT_REPAIR_SPEC;
    const validator = await GitValidator.open({
      repository: params.repository,
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
    return run.patch !== undefined ? { patch: run.patch } : { error: run.error ?? 'the patch could not be made' };
  }

  /** Rewrites the pull request's one comment and sets the commit's status; says what it did. */
  private async updateForge(
    decision: DecisionMade,
    params: FixParams,
    run: ValidationRun | undefined,
    proposal?: RepairReport['proposal'],
  ): Promise<string> {
    const forge = await LocalGitForge.of(params.repository, this.options.env['PATH'] ?? '');
    if (forge === undefined) return `no forge for ${params.repository} (only a local bare repository has one here)`;
    const previous = await forge.readComment(params.branch);
    const earlier = Array.isArray(previous?.state['attempts']) ? (previous.state['attempts'] as string[]) : [];
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
    };
    const line = `attempt ${decision.attempt}: ${params.fix.id} ${run === undefined ? `proposed (${decision.mode})` : run.passed ? 'passed' : `failed (${run.error ?? ''})`}`;
    const state = { incidentId: decision.incidentId, decisionId: decision.decisionId, attempts: [...earlier, line] };
    const attachments: Record<string, string> = proposal !== undefined && 'patch' in proposal ? { [PATCH_FILE]: proposal.patch } : {};
    const ref = await forge.writeComment(params.branch, renderRepairComment(report), state, line, attachments);
    const statusCommit = run?.pushed?.commit ?? params.commit;
    await forge.setStatus(statusCommit, {
      state: run === undefined ? 'pending' : run.passed ? 'success' : 'failure',
      description: line,
      decisionId: decision.decisionId,
    });
    return `comment ${ref.slice(0, 12)} on refs/homeostat/pr/${params.branch} of ${path.basename(params.repository)}, status on ${statusCommit.slice(0, 12)}`;
  }
}
