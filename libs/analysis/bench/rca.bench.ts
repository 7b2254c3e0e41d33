/**
 * Root cause on someone else's system: `rankRootCausesFromMetrics` (the analyzer's ranking fed with
 * metrics-only evidence) on the PetShop dataset's training issues, scored as the dataset's own
 * evaluation scores a method (see petshop-scoring.ts).
 * Run: `npm run bench:rca` (data: HOMEOSTAT_PETSHOP_DIR or `-- --data DIR`, default ../shared/petshop
 * from the repository root; read in place, never copied).
 *
 * Settings: none were chosen on these issues. The method's constants are the live analyzer's
 * (three deviation units, the 10 % noise floor, the 0.7 victim discount); the dataset's
 * `root_cause` is read here only to score the answer, after it is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CallGraph,
  EMPTY_METRIC_TABLE,
  parseAdjacencyMatrix,
  parseIssueTarget,
  parseMetricTable,
  rankRootCausesFromMetrics,
  toRankedNodes,
  type MetricTable,
} from '../src';
import { groupFigures, type ScoredIssue } from './petshop-scoring';

function dataDir(): string {
  const flag = process.argv.indexOf('--data');
  const given = flag >= 0 ? process.argv[flag + 1] : process.env['HOMEOSTAT_PETSHOP_DIR'];
  return path.resolve(given ?? path.join(__dirname, '..', '..', '..', '..', 'shared', 'petshop'));
}

/** Published "anomaly traversal" baseline, all 68 issues (train + test pooled), from the data's README. */
const BASELINE: Record<string, [number, number]> = {
  'low_traffic latency': [0.571, 0.571],
  'low_traffic availability': [0.833, 1.0],
  'high_traffic latency': [0.571, 0.786],
  'high_traffic availability': [0.667, 1.0],
  'temporal_traffic latency': [1.0, 1.0],
  'temporal_traffic availability': [0.75, 1.0],
};

function main(): void {
  const dir = dataDir();
  if (!fs.existsSync(dir)) {
    process.stderr.write(`no PetShop data at ${dir}: set HOMEOSTAT_PETSHOP_DIR or pass --data DIR\n`);
    process.exitCode = 1;
    return;
  }
  const scored: ScoredIssue[] = [];
  const baselineSource = new Map<string, string>();
  const started = process.hrtime.bigint();
  for (const scenario of fs.readdirSync(dir).sort()) {
    const graphFile = path.join(dir, scenario, 'graph.csv');
    if (!fs.existsSync(graphFile)) continue;
    const given = parseAdjacencyMatrix(fs.readFileSync(graphFile, 'utf8'), graphFile);
    const graph = CallGraph.fromEdges(given.edges);
    const normalFile = path.join(dir, scenario, 'noissue', 'metrics.csv');
    const normal: MetricTable = fs.existsSync(normalFile)
      ? parseMetricTable(fs.readFileSync(normalFile, 'utf8'), normalFile)
      : EMPTY_METRIC_TABLE;
    baselineSource.set(
      scenario,
      normal === EMPTY_METRIC_TABLE ? "the issue's rows before the alarm (no noissue file)" : 'noissue/metrics.csv',
    );
    const issuesDir = path.join(dir, scenario, 'train');
    const issues = fs.existsSync(issuesDir) ? fs.readdirSync(issuesDir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) : [];
    for (const issue of issues) {
      const targetText = fs.readFileSync(path.join(issuesDir, issue, 'target.json'), 'utf8');
      const answer = (JSON.parse(targetText) as { root_cause: { node: string } }).root_cause.node;
      const target = parseIssueTarget(targetText);
      let ranking: ScoredIssue['ranking'];
      try {
        const metricsFile = path.join(issuesDir, issue, 'metrics.csv');
        const abnormal = parseMetricTable(fs.readFileSync(metricsFile, 'utf8'), metricsFile);
        ranking = toRankedNodes(rankRootCausesFromMetrics({ graph, graphNodes: new Set(given.nodes), target, normal, abnormal }));
      } catch (err) {
        process.stderr.write(`${scenario}/${issue}: ${err instanceof Error ? err.message : String(err)}\n`);
        ranking = null;
      }
      scored.push({ scenario, issue, kind: target.metric, rootCause: answer, ranking });
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  out(`PetShop root cause, training split (${dir}): ${scored.length} issues, ${seconds.toFixed(2)} s`);
  out('normal baseline per scenario:');
  for (const [scenario, source] of baselineSource) out(`  ${scenario}: ${source}`);
  out('');
  out('| group | issue kind | issues | top-1 | top-3 | empty answers | failed | baseline top-1/top-3 (all 68, pooled) |');
  out('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const f of groupFigures(scored)) {
    const b = BASELINE[`${f.group} ${f.kind}`];
    out(
      `| ${f.group} | ${f.kind} | ${f.issues} | ${f.top1.toFixed(3)} | ${f.top3.toFixed(3)} | ${f.emptyShare.toFixed(2)} | ${f.failed} | ${b ? `${b[0].toFixed(3)}/${b[1].toFixed(3)}` : '-'} |`,
    );
  }
  out('');
  out('per issue (root cause rank, first three answers):');
  for (const s of scored) {
    const rank = s.ranking ? s.ranking.findIndex((r) => r.node === s.rootCause) + 1 : 0;
    const top = (s.ranking ?? []).slice(0, 3).map((r) => `${r.node} ${r.score.toFixed(3)}`);
    out(`  ${s.scenario}/${s.issue} ${s.kind}: rank ${rank > 0 ? rank : '-'} of ${s.ranking?.length ?? 'failed'}; ${top.join(', ')}`);
  }
  out('');
  out(
    "settings: none chosen on these issues. Constants are the live analyzer's (3 deviation units, 10 % noise floor, 0.7 victim discount); all 20 training issues share one root cause, so they can check the method end to end but not choose it.",
  );
}

main();
