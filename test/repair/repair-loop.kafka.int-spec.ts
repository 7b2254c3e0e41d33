import * as path from 'node:path';
import type { DecisionMade, IncidentOpened, OutcomeRecorded } from '@homeostat/contracts';
import { eventually } from '../support';
import { ciRun, FIX_BRANCH, of, postBuild, PR_BRANCH, remoteGit, repository, root, sh, useRepairStack } from './repair-stack';

// The same stages with every one on Kafka topics (a real broker), as in a distributed deployment:
// one scenario, the failed build to the validated fix on the remote (the embedded suite covers the rest).
useRepairStack('kafka');

describe('the repair loop through the five stages (kafka)', () => {
  it('diagnoses the failed build, validates the revert with the project’s tests and pushes it to the fix branch', async () => {
    const { remote, commit } = await repository('app-k');
    const log = await ciRun(remote);
    const t0 = Date.now();
    await postBuild(remote, commit, log);
    await eventually('the incident', () => of<IncidentOpened>('homeostat.incident.opened.v1').length === 1, 60_000);
    const incident = of<IncidentOpened>('homeostat.incident.opened.v1')[0]!;
    expect(incident.buildFailure).toMatchObject({ category: 'test', culprit: { name: '@acme/connector', from: '1.4.2', to: '1.5.0' } });
    await eventually(
      'a validated fix',
      () =>
        of<OutcomeRecorded>('homeostat.outcome.recorded.v1', (o) => o.incidentId === incident.incidentId && o.status === 'succeeded')
          .length === 1,
      150_000,
    );
    const decision = of<DecisionMade>('homeostat.decision.made.v1', (d) => d.incidentId === incident.incidentId)[0]!;
    expect([decision.action?.name, decision.mode]).toEqual(['revert-update', 'execute']);
    const tip = await remoteGit(remote, 'rev-parse', FIX_BRANCH);
    expect(await remoteGit(remote, 'rev-parse', `${tip}^`)).toBe(commit);
    expect(await remoteGit(remote, 'rev-parse', PR_BRANCH)).toBe(commit);
    expect(await remoteGit(remote, 'show', `refs/homeostat/pr/${PR_BRANCH}:comment.md`)).toContain(decision.decisionId);
    // The fix passes the project's tests when run again from a clone.
    const clone = path.join(root, 'check-k');
    await sh(root, ['git', 'clone', '--quiet', '--branch', FIX_BRANCH, remote, clone]);
    await sh(clone, ['npm', 'ci', '--no-audit', '--no-fund']);
    expect(await sh(clone, ['npm', 'test'])).toMatch(/# fail 0/);
    process.stderr.write(`[repair-loop kafka] validated fix pushed ${Date.now() - t0} ms after the build was posted\n`);
  }, 240_000);
});
