import { repairLoopYaml } from '../testing/repair-loop';
import { parseLoopSpec } from './loop-spec.parser';

const loopWith = (forge: string): string => repairLoopYaml({ repair: [`forge: ${forge}`] });

describe('repair.forge', () => {
  it('reads a GitHub forge with its defaults: token from GITHUB_TOKEN, api.github.com', () => {
    const parsed = parseLoopSpec(loopWith('{ kind: github, owner: octo-org, repo: connector-app }'));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.spec.spec.repair?.forge).toEqual({
      kind: 'github',
      owner: 'octo-org',
      repo: 'connector-app',
      tokenEnv: 'GITHUB_TOKEN',
      apiUrl: 'https://api.github.com',
    });
  });

  it.each([
    ['{ kind: gitlab, owner: o, repo: r }', 'spec.repair.forge.kind'],
    ['{ kind: github, repo: r }', 'spec.repair.forge.owner'],
    ['{ kind: github, owner: "-bad", repo: r }', 'spec.repair.forge.owner'],
    ['{ kind: github, owner: o, repo: "a/b" }', 'spec.repair.forge.repo'],
    ['{ kind: github, owner: o, repo: r, tokenEnv: "my token" }', 'spec.repair.forge.tokenEnv'],
    ['{ kind: github, owner: o, repo: r, apiUrl: "http://github.example.com/api/v3" }', 'spec.repair.forge.apiUrl'],
    ['{ kind: github, owner: o, repo: r, token: ghp_x }', 'spec.repair.forge.token'],
  ])('refuses %s with an error at %s', (forge, path) => {
    const parsed = parseLoopSpec(loopWith(forge));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.path)).toContain(path);
  });

  it('takes http only on loopback (a test server), where the token does not leave the machine', () => {
    const parsed = parseLoopSpec(loopWith('{ kind: github, owner: o, repo: r, apiUrl: "http://127.0.0.1:8099" }'));
    expect(parsed.ok).toBe(true);
  });
});
