/**
 * Resuming an interrupted repair, with real git against bare repositories on disk (each test its
 * own, with the local forge): the fix commit carries its decision's trailer; a restart finds it on
 * the push branch and reports it without running the project's commands or pushing again, and
 * validates again only when it is not there and time is left.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { type ActionCall, type DecisionMade, type LoopSpec } from '@homeostat/contracts';
import { repairLoopSpec, sampleDecisionMade } from '@homeostat/contracts/testing';
import { GitRepairActuator } from './git-repair.actuator';

const exec = promisify(execFile);
const PR_BRANCH = 'deps/x';
const FIX_BRANCH = 'homeostat/fix/deps/x';

let root: string;
const sh = async (cwd: string, ...argv: string[]): Promise<string> =>
  (await exec(argv[0]!, argv.slice(1), { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: root } })).stdout.trim();
const remoteGit = (remote: string, ...args: string[]): Promise<string> => sh(root, 'git', '--git-dir', remote, ...args);
const AS_BOT = ['-c', 'user.name=Bot', '-c', 'user.email=bot@localhost'];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-resume-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A bare remote whose update branch broke version.txt; `runs` counts the project's install runs. */
async function remoteWithBrokenUpdate(name: string): Promise<{ remote: string; base: string; runs: () => number; loop: LoopSpec }> {
  const remote = path.join(root, `${name}.git`);
  const work = path.join(root, `${name}-work`);
  await sh(root, 'git', 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  fs.mkdirSync(work);
  fs.writeFileSync(path.join(work, 'version.txt'), 'broken\n');
  await sh(work, 'git', 'init', '--quiet', '--initial-branch=main');
  await sh(work, 'git', 'add', '.');
  await sh(work, 'git', ...AS_BOT, 'commit', '--quiet', '-m', 'update');
  await sh(work, 'git', 'push', '--quiet', remote, `main:main`, `main:${PR_BRANCH}`);
  const base = await sh(work, 'git', 'rev-parse', 'HEAD');
  const counter = path.join(root, `${name}-runs.log`);
  fs.writeFileSync(counter, '');
  const loop = repairLoopSpec({
    deadline: '1m',
    repair: [
      `install: [node, -e, ${JSON.stringify(`require('fs').appendFileSync(${JSON.stringify(counter)}, 'install\\n')`)}]`,
      `test: [node, -e, "process.exit(require('fs').readFileSync('version.txt', 'utf8') === 'fixed\\\\n' ? 0 : 1)"]`,
      'commandTimeout: 30s',
    ],
  });
  return { remote, base, loop, runs: () => fs.readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
}

const decision = (id: string, remote: string, base: string): DecisionMade & { action: ActionCall } => ({
  ...sampleDecisionMade(),
  decisionId: id,
  action: {
    name: 'revert-update',
    adapter: 'ci',
    params: {
      fix: {
        id: 'revert-update:version',
        title: 'Fix the version',
        files: [{ path: 'version.txt', content: 'fixed\n' }],
        regenerate: [],
        message: 'fix: the version',
      },
      repository: remote,
      branch: PR_BRANCH,
      commit: base,
    },
  },
});

const actuator = (): GitRepairActuator =>
  new GitRepairActuator({ npmCache: path.join(root, 'npm-cache'), workRoot: root, env: { PATH: process.env['PATH'] ?? '' } });
const inAMinute = (): number => Date.now() + 60_000;
const heads = (remote: string): Promise<string> => remoteGit(remote, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads');

describe('GitRepairActuator: resuming a repair after a restart', () => {
  it('the fix commit names its decision in a trailer, so a restart can find it on the remote', async () => {
    const x = await remoteWithBrokenUpdate('trailer');
    const outcome = await actuator().apply(decision('d-1', x.remote, x.base), x.loop);
    expect(outcome.status).toBe('succeeded');
    const tip = await remoteGit(x.remote, 'rev-parse', FIX_BRANCH);
    expect(await remoteGit(x.remote, 'log', '-1', '--format=%s', tip)).toBe('fix: the version');
    expect(await remoteGit(x.remote, 'log', '-1', '--format=%(trailers:key=Homeostat-Decision,valueonly)', tip)).toBe('d-1');
  }, 30_000);

  it('stopped after the push, before the forge and the outcome: reported succeeded from the remote; nothing runs or is pushed again; the forge is written', async () => {
    const x = await remoteWithBrokenUpdate('pushed');
    // What the stopped process got done: the fix commit, tested, on the fix branch; then it died.
    const work = path.join(root, 'pushed-work');
    fs.writeFileSync(path.join(work, 'version.txt'), 'fixed\n');
    await sh(work, 'git', ...AS_BOT, 'commit', '--quiet', '-am', 'fix: the version\n\nHomeostat-Decision: d-1');
    await sh(work, 'git', 'push', '--quiet', x.remote, `HEAD:refs/heads/${FIX_BRANCH}`);
    const fix = await sh(work, 'git', 'rev-parse', 'HEAD');
    const before = await heads(x.remote);

    const outcome = await actuator().resume(decision('d-1', x.remote, x.base), x.loop, inAMinute());
    expect(outcome).toMatchObject({
      status: 'succeeded',
      applied: true,
      repair: { remote: x.remote, commit: fix, pushed: { branch: FIX_BRANCH, commit: fix }, steps: [] },
    });
    expect(outcome.verification.detail).toMatch(
      new RegExp(`^the fix commit ${fix} is on ${FIX_BRANCH}: .*neither validated nor pushed again`),
    );
    expect(x.runs()).toBe(0);
    expect(await heads(x.remote)).toBe(before);
    // The pull request gets what the stop kept from it: the comment naming the decision, the status on the fix.
    expect(await remoteGit(x.remote, 'show', `refs/homeostat/pr/${PR_BRANCH}:comment.md`)).toContain('d-1');
    const status = JSON.parse(await remoteGit(x.remote, 'notes', '--ref=refs/notes/homeostat-status', 'show', fix)) as Record<
      string,
      string
    >;
    expect(status).toMatchObject({ state: 'success' });
  }, 30_000);

  it('stopped after the forge was written too: the comment is left as it was, the attempt not added twice', async () => {
    const x = await remoteWithBrokenUpdate('written');
    await actuator().apply(decision('d-1', x.remote, x.base), x.loop);
    const comment = await remoteGit(x.remote, 'rev-parse', `refs/homeostat/pr/${PR_BRANCH}`);
    const outcome = await actuator().resume(decision('d-1', x.remote, x.base), x.loop, inAMinute());
    expect(outcome.status).toBe('succeeded');
    expect(outcome.verification.detail).toContain('comment already up to date');
    expect(await remoteGit(x.remote, 'rev-parse', `refs/homeostat/pr/${PR_BRANCH}`)).toBe(comment);
    expect(x.runs()).toBe(1); // the one run before the stop
  }, 30_000);

  it('stopped before the push: validated again in a fresh clone from the build’s commit and pushed once', async () => {
    const x = await remoteWithBrokenUpdate('unpushed');
    const outcome = await actuator().resume(decision('d-2', x.remote, x.base), x.loop, inAMinute());
    expect(outcome).toMatchObject({ status: 'succeeded', applied: true });
    expect(outcome.verification.checks.map((c) => c.passed)).toEqual([true, true]);
    expect(x.runs()).toBe(1);
    const tip = await remoteGit(x.remote, 'rev-parse', FIX_BRANCH);
    expect(outcome.repair?.pushed).toEqual({ branch: FIX_BRANCH, commit: tip });
    expect(await remoteGit(x.remote, 'rev-parse', `${tip}^`)).toBe(x.base);
    // Resumed once more (a second restart): found, not pushed again.
    const again = await actuator().resume(decision('d-2', x.remote, x.base), x.loop, inAMinute());
    expect(again.repair?.pushed).toEqual({ branch: FIX_BRANCH, commit: tip });
    expect(x.runs()).toBe(1);
    expect(fs.readdirSync(root).filter((f) => f.startsWith('homeostat-validate-') || f.startsWith('homeostat-lookup-'))).toEqual([]);
  }, 30_000);

  it('a fix branch holding another decision’s fix: this decision’s is not taken for pushed', async () => {
    const x = await remoteWithBrokenUpdate('other');
    await actuator().apply(decision('d-0', x.remote, x.base), x.loop);
    // Past its deadline, so what the lookup found decides alone: reported from the remote, or expired.
    const outcome = await actuator().resume(decision('d-3', x.remote, x.base), x.loop, Date.now() - 1);
    expect(outcome).toMatchObject({ status: 'failed', applied: false, error: { code: 'ALREADY_CLAIMED' } });
    expect(x.runs()).toBe(1);
  }, 30_000);

  it('nothing pushed and the deadline past: failed, not applied, with the reason; nothing runs or is pushed', async () => {
    const x = await remoteWithBrokenUpdate('late');
    const outcome = await actuator().resume(decision('d-4', x.remote, x.base), x.loop, Date.now() - 1);
    expect(outcome).toMatchObject({ status: 'failed', applied: false, error: { code: 'ALREADY_CLAIMED' } });
    expect(outcome.verification.detail).toMatch(/interrupted before its fix was pushed, and its deadline .* passed/);
    expect(x.runs()).toBe(0);
    expect(await heads(x.remote)).not.toContain(FIX_BRANCH);
  }, 30_000);

  it('the remote cannot be read: whether the fix went out is unknown, so it is not validated or pushed again', async () => {
    const x = await remoteWithBrokenUpdate('gone');
    const outcome = await actuator().resume(decision('d-5', path.join(root, 'no-such.git'), x.base), x.loop, inAMinute());
    expect(outcome).toMatchObject({ status: 'failed', applied: false, error: { code: 'ADAPTER_FAILED' } });
    expect(outcome.verification.detail).toMatch(/^could not read homeostat\/fix\/deps\/x .* not validated again/);
    expect(x.runs()).toBe(0);
  }, 30_000);
});
