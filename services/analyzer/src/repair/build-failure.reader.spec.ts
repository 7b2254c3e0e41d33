import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { BuildReported, LoopSpec } from '@homeostat/contracts';
import { repairLoopSpec } from '@homeostat/contracts/testing';
import { gitHttpServer, type GitHttpServer } from '@homeostat/runtime/testing';
import { BuildFailureReader } from './build-failure.reader';

/*
 * A repair loop with a GitHub forge reads the project's files from the forge's git URL with the
 * token given to git alone: here a private repository served by git http-backend on loopback,
 * which refuses every request without the token's header.
 */

const exec = promisify(execFile);
const TOKEN = 'ghp_analyzerTestToken0123456789abcdefABC';
const PACKAGE_JSON = '{ "name": "hello-world", "version": "1.0.0", "engines": { "node": ">=18" } }\n';

let root: string;
let git: GitHttpServer;
let commit: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-analyze-github-'));
  const env = { PATH: process.env['PATH'] ?? '', HOME: root };
  const sh = async (cwd: string, ...argv: string[]): Promise<string> => (await exec(argv[0]!, argv.slice(1), { cwd, env })).stdout.trim();
  const work = path.join(root, 'work');
  fs.mkdirSync(work);
  fs.writeFileSync(path.join(work, 'package.json'), PACKAGE_JSON);
  await sh(work, 'git', 'init', '--quiet', '--initial-branch', 'main');
  await sh(work, 'git', 'add', '.');
  await sh(work, 'git', '-c', 'user.name=Octocat', '-c', 'user.email=octocat@localhost', 'commit', '--quiet', '-m', 'first');
  await sh(root, 'git', 'clone', '--quiet', '--bare', work, path.join(root, 'Hello-World.git'));
  await sh(work, 'git', 'push', '--quiet', path.join(root, 'Hello-World.git'), 'main:new-topic');
  commit = await sh(work, 'git', 'rev-parse', 'HEAD');
  git = await gitHttpServer(root, `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`);
});

afterAll(async () => {
  await git?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const loop = (): LoopSpec => {
  return repairLoopSpec({
    name: 'hello-repair',
    service: 'hello-world',
    deadline: '1m',
    repair: [
      `forge: { kind: github, owner: octocat, repo: Hello-World, tokenEnv: TEST_GITHUB_TOKEN, gitUrl: "${git.url}/Hello-World.git" }`,
    ],
  });
};

const build = (repository = 'https://github.com/octocat/Hello-World.git'): BuildReported => ({
  repository,
  commit,
  branch: 'new-topic',
  pipeline: 'ci',
  job: 'test',
  status: 'failed',
  log: 'npm error code EBADENGINE\nnpm error engine Unsupported engine\n',
});

const unread = (notes: readonly string[]): string[] => notes.filter((n) => n.startsWith('the repository could not be read'));

describe("BuildFailureReader with a loop's GitHub forge", () => {
  it('reads the private repository with the token given to git alone; the incident does not carry it', async () => {
    const before = git.unauthorized;
    const { incident } = await new BuildFailureReader({ PATH: process.env['PATH'] ?? '', TEST_GITHUB_TOKEN: TOKEN }).read(
      build(),
      loop(),
      'i-1',
      new Date(),
      [],
    );
    expect(unread(incident.buildFailure!.notes)).toEqual([]);
    expect(git.unauthorized).toBe(before);
    expect(JSON.stringify(incident)).not.toContain(TOKEN);
  }, 20_000);

  it('says why it could not read it: no token (GitHub refuses), or a build of another repository', async () => {
    const reader = new BuildFailureReader({ PATH: process.env['PATH'] ?? '' });
    const before = git.unauthorized;
    const anonymous = await reader.read(build(), loop(), 'i-2', new Date(), []);
    expect(unread(anonymous.incident.buildFailure!.notes)).toHaveLength(1);
    expect(git.unauthorized).toBeGreaterThan(before);
    const other = await reader.read(build('https://github.com/octocat/Spoon-Knife.git'), loop(), 'i-3', new Date(), []);
    expect(unread(other.incident.buildFailure!.notes)[0]).toMatch(/not of the loop's GitHub repository octocat\/Hello-World/);
  }, 20_000);

  it("ranks the ledger's similar failures (any loop) with the loop's own, asking with the failure's features, which the incident carries", async () => {
    const asked: Array<Record<string, number>> = [];
    const { incident, features } = await new BuildFailureReader({ PATH: process.env['PATH'] ?? '', TEST_GITHUB_TOKEN: TOKEN }).read(
      build(),
      loop(),
      'i-4',
      new Date(),
      [],
      (f) => {
        asked.push(f);
        return Promise.resolve([{ incidentId: 'other-loop-failure', signature: 'toolchain: unsupported engine', score: 0.7 }]);
      },
    );
    expect(asked).toEqual([features]);
    expect(incident.buildFailure?.features).toEqual(features);
    expect(incident.buildFailure?.similar).toEqual([
      { incidentId: 'other-loop-failure', signature: 'toolchain: unsupported engine', score: 0.7 },
    ]);
  }, 20_000);
});
