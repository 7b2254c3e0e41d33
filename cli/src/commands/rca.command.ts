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
  type RankedNode,
} from '@homeostat/analysis';

/**
 * `homeostat rca <issue-dir...> --graph FILE [--normal FILE] --out-dir DIR`
 *
 * Ranks the likely root causes of recorded issues with the analyzer's own root-cause ranking
 * (`rankRootCausesFromMetrics` in @homeostat/analysis); this command only reads the files and
 * writes the answers. Each issue directory holds `metrics.csv` (the window around the alarm) and
 * `target.json` (the alarm: `target.node`, `.metric`, `.agg`, `.timestamp`; nothing else in it is
 * read). The graph is an adjacency matrix (row A, column B = 1: A calls B); the normal file is
 * metrics of normal operation in the same format as the issues' (without it, each issue's rows
 * before the alarm are its normal). Writes `DIR/<issue dir name>.json` =
 * `{"ranking": [{"node", "score"}, …]}`, best first. An issue that cannot be ranked is reported
 * on stderr with what is wrong and sets exit code 1; the others still run. A graph or normal file
 * that cannot be read stops the command: every answer depends on it.
 */
export interface RcaOptions {
  graph: string;
  normal?: string;
  outDir: string;
}

export interface RcaIssueResult {
  readonly issue: string;
  readonly output: string;
  readonly ranking: RankedNode[];
}

export async function rankIssues(
  issueDirs: readonly string[],
  options: RcaOptions,
): Promise<{ results: RcaIssueResult[]; failures: Array<{ issue: string; error: Error }> }> {
  const given = parseAdjacencyMatrix(await readInput(options.graph, 'the graph'), options.graph);
  const graph = CallGraph.fromEdges(given.edges);
  const graphNodes = new Set(given.nodes);
  const normal: MetricTable =
    options.normal === undefined
      ? EMPTY_METRIC_TABLE
      : parseMetricTable(await readInput(options.normal, 'the normal metrics'), options.normal);
  await fs.promises.mkdir(options.outDir, { recursive: true });

  const results: RcaIssueResult[] = [];
  const failures: Array<{ issue: string; error: Error }> = [];
  const outputs = new Map<string, string>();
  for (const issue of issueDirs) {
    try {
      const output = path.join(options.outDir, `${path.basename(path.resolve(issue))}.json`);
      const clash = outputs.get(output);
      if (clash !== undefined) throw new Error(`same directory name as ${clash}; both would write ${output}`);
      outputs.set(output, issue);
      const target = parseIssueTarget(await readIssueFile(issue, 'target.json'), path.join(issue, 'target.json'));
      const metricsFile = path.join(issue, 'metrics.csv');
      const abnormal = parseMetricTable(await readIssueFile(issue, 'metrics.csv'), metricsFile);
      const ranking = toRankedNodes(rankRootCausesFromMetrics({ graph, graphNodes, target, normal, abnormal }));
      const tmp = `${output}.tmp-${process.pid}`;
      await fs.promises.writeFile(tmp, `${JSON.stringify({ ranking })}\n`);
      await fs.promises.rename(tmp, output);
      results.push({ issue, output, ranking });
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      // Parse errors name their file already; the others get the issue's directory.
      const where = path.join(issue).replace(/[\\/]+$/, '');
      failures.push({ issue, error: error.message.startsWith(where) ? error : new Error(`${issue}: ${error.message}`) });
    }
  }
  return { results, failures };
}

async function readIssueFile(issue: string, name: string): Promise<string> {
  const file = path.join(issue, name);
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`no ${name}`);
    if (code === 'EISDIR' || code === 'ENOTDIR') throw new Error(`${file} is not a file`);
    throw err;
  }
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} (${file}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export async function rcaCommand(issueDirs: string[], options: RcaOptions): Promise<void> {
  let outcome: Awaited<ReturnType<typeof rankIssues>>;
  try {
    outcome = await rankIssues(issueDirs, options);
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  for (const r of outcome.results) {
    const top = r.ranking[0];
    process.stdout.write(
      `wrote ${r.output} (${r.ranking.length} candidate(s)${top ? `, first ${top.node} ${top.score.toFixed(3)}` : ': nothing anomalous below the target'})\n`,
    );
  }
  for (const f of outcome.failures) process.stderr.write(`error: ${f.error.message}\n`);
  process.stdout.write(`${outcome.results.length} ranked, ${outcome.failures.length} failed\n`);
  if (outcome.failures.length > 0) process.exitCode = 1;
}
