import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';

export interface DemoCommandOptions {
  incidents: number;
  faults?: string[];
  seed: number;
  json?: string;
  chart?: string;
  dataDir?: string;
  loops?: string;
  traffic: number;
  shopPort: number;
  warmup: number;
  timeout: number;
  backToBack?: boolean;
  loop?: 'remediate' | 'repair' | 'optimize';
}

/** Commander parser for --loop: the kind of loop the demo plays. */
export function parseDemoLoop(value: string): 'remediate' | 'repair' | 'optimize' {
  if (value === 'remediate' || value === 'repair' || value === 'optimize') return value;
  throw new InvalidArgumentError(`must be remediate, repair or optimize, got "${value}"`);
}

/**
 * The optimize demo's hot-key load (GET/s): the rate its loop's windows are sized for (about 45
 * requests per 1 s bucket, in the 32-64 rate band).
 */
const OPTIMIZE_RPS = 45;

const FAULTS = ['pool-leak', 'slow-dependency', 'retry-storm', 'bad-config'] as const;

/** Commander parser for --faults: known fault names, comma-separated. */
export function parseFaults(value: string): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(FAULTS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`unknown fault(s) ${unknown.join(', ') || '(none given)'}; choose from ${FAULTS.join(', ')}`);
  return [...new Set(names)];
}

/** Commander parser for a positive integer. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 1_000) throw new InvalidArgumentError(`must be an integer in 1..1000, got "${value}"`);
  return n;
}

/** Commander parser for a seed: any integer (it is reduced to 32 bits). */
export function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`must be an integer, got "${value}"`);
  return n;
}

/** Commander parser for a duration in seconds (0 or more). */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 86_400)
    throw new InvalidArgumentError(`must be a number of seconds in 0..86400, got "${value}"`);
  return n;
}

/**
 * `homeostat demo`: the embedded stack and the shop, faults injected one after another, then the
 * learning table and summary; optionally the run as JSON and the learning curve as SVG.
 */
export async function demoCommand(options: DemoCommandOptions): Promise<void> {
  if (options.loop === 'repair') return repairDemo(options);
  if (options.loop === 'optimize') return optimizeDemo(options);
  const { runDemo } = await import('../demo/run');
  const { formatReport } = await import('../demo/format');
  const { renderLearningCurveSvg } = await import('../demo/chart');
  const { createProgress } = await import('../demo/progress');

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dataDir = path.resolve(options.dataDir ?? path.join('.homeostat', `demo-${stamp}`));
  const loopsDir = path.resolve(options.loops ?? path.join(path.dirname(require.resolve('@homeostat/shop/package.json')), 'loops'));
  const faults = options.faults ?? [...FAULTS];
  const out = process.stdout;
  const pace = options.backToBack ? ', back to back' : '';
  out.write(
    `homeostat demo: ${options.incidents} incident(s) of ${faults.join(', ')} (seed ${options.seed}${pace}); state in ${dataDir}\n`,
  );

  const progress = createProgress(process.stderr);
  // Ctrl-C stops the shop and the stack cleanly; a second one exits at once.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) process.exit(130);
    progress.log(`${signal}: stopping the shop and the stack (again to exit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result;
  try {
    result = await runDemo(
      {
        incidents: options.incidents,
        faults,
        seed: options.seed,
        dataDir,
        loopsDir,
        traffic: options.traffic,
        shopPort: options.shopPort,
        warmupMs: options.warmup * 1000,
        incidentTimeoutMs: options.timeout * 1000,
        quietMs: 6_000,
        backToBack: options.backToBack === true,
        signal: abort.signal,
      },
      progress,
    );
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  out.write(`\n${formatReport(result.report)}\n`);
  if (options.json) {
    await mkdir(path.dirname(path.resolve(options.json)), { recursive: true });
    await writeFile(
      options.json,
      JSON.stringify({ options: { ...options, faults, dataDir, loopsDir }, ...result.report, records: result.records }, null, 2) + '\n',
    );
    out.write(`run written to ${options.json}\n`);
  }
  if (options.chart) {
    await mkdir(path.dirname(path.resolve(options.chart)), { recursive: true });
    await writeFile(options.chart, await renderLearningCurveSvg(result.report));
    out.write(`learning curve written to ${options.chart}\n`);
  }
  if (result.report.summary.recovered < result.report.summary.incidents) process.exitCode = 1;
}

/**
 * `homeostat demo --loop repair`: two dependency updates that break connector-app's CI, each
 * repaired by the embedded stack; the table, and with --json the contract's report. The remote
 * and the registry's storage stay under the data dir.
 */
async function repairDemo(options: DemoCommandOptions): Promise<void> {
  const { runRepairDemo, formatRepairReport } = await import('../demo/repair-run');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dataDir = path.resolve(options.dataDir ?? path.join('.homeostat', `demo-repair-${stamp}`));
  const exampleDir = path.resolve(__dirname, '..', '..', '..', 'examples', 'connector-app');
  const out = process.stdout;
  out.write(`homeostat demo --loop repair: connector-app's CI broken by two connector updates; state in ${dataDir}\n`);
  const { failures, registryDir } = await runRepairDemo({
    dataDir,
    exampleDir,
    timeoutMs: options.timeout * 1000,
    progress: (line) => process.stderr.write(`  ${line}\n`),
  });
  out.write(`\n${formatRepairReport(failures)}\n`);
  out.write(
    `\nThe remote stays at ${failures[0]?.remote ?? '(none)'}; the connector's releases at ${registryDir} (Verdaccio storage): ` +
      `the test command needs a registry that serves them (npm_config_registry).\n`,
  );
  if (options.json) {
    await mkdir(path.dirname(path.resolve(options.json)), { recursive: true });
    await writeFile(options.json, JSON.stringify({ failures }, null, 2) + '\n');
    out.write(`report written to ${options.json}\n`);
  }
  if (failures.some((f) => f.outcome !== 'fixed')) process.exitCode = 1;
}

/**
 * `homeostat demo --loop optimize`: the gateway's optimize loop on the demo gateway under seeded
 * hot-key load, in embedded mode on loopback; a table per experiment and the regime-returns step,
 * and with --json the same as JSON. Any experiment that was not judged exits 1.
 */
async function optimizeDemo(options: DemoCommandOptions): Promise<void> {
  const { runOptimizeDemo } = await import('../demo/optimize-run');
  const { formatOptimizeReport } = await import('../demo/optimize-report');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dataDir = path.resolve(options.dataDir ?? path.join('.homeostat', `demo-optimize-${stamp}`));
  const out = process.stdout;
  out.write(`homeostat demo --loop optimize: the demo gateway under hot-key load (seed ${options.seed}); state in ${dataDir}\n`);
  const report = await runOptimizeDemo({
    dataDir,
    seed: options.seed,
    rps: OPTIMIZE_RPS,
    timeoutMs: options.timeout * 1000,
    progress: (line) => process.stderr.write(`  ${line}\n`),
  });
  out.write(`\n${formatOptimizeReport(report)}\n`);
  if (options.json) {
    await mkdir(path.dirname(path.resolve(options.json)), { recursive: true });
    await writeFile(options.json, JSON.stringify(report, null, 2) + '\n');
    out.write(`report written to ${options.json}\n`);
  }
  if (report.experiments.some((x) => x.verdict === 'failed') || report.regimeReturns === null) process.exitCode = 1;
}
