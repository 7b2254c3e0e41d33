import { Command, InvalidArgumentError, Option } from 'commander';
import { SERVICE_NAMES, type ServiceName } from '@homeostat/config';
import { approveCommand, killSwitchCommand, pauseCommand, rejectCommand, resumeCommand } from './commands/control.command';
import { demoCommand, parseDemoLoop, parseFaults, parsePositiveInt, parseSeconds, parseSeed } from './commands/demo.command';
import { explainCommand } from './commands/explain.command';
import { gatewayCommand, parseTopology } from './commands/gateway.command';
import { intentCommand } from './commands/intent.command';
import { rcaCommand } from './commands/rca.command';
import { replayCommand } from './commands/replay.command';
import { parsePort, parseRate, shopCommand } from './commands/shop.command';
import { startCommand } from './commands/start.command';
import { templatesCommand } from './commands/templates.command';
import { triageCommand } from './commands/triage.command';
import { validateCommand } from './commands/validate.command';

function serviceList(value: string): ServiceName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SERVICE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new InvalidArgumentError(`unknown service(s) ${unknown.join(', ') || '(none given)'}; choose from ${SERVICE_NAMES.join(', ')}`);
  }
  return names as ServiceName[];
}

function parseSimilar(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 100_000) throw new InvalidArgumentError(`must be an integer in 0..100000, got "${value}"`);
  return n;
}

function parseMaxBytes(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1) throw new InvalidArgumentError(`must be a positive integer (bytes), got "${value}"`);
  return n;
}

export function buildProgram(): Command {
  const program = new Command('homeostat')
    .description('Homeostat: closed loops that let running software heal and tune itself')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  program
    .command('start')
    .description('run the loop: every stage in one process (embedded), or the chosen services against Kafka')
    .addOption(new Option('--mode <mode>', 'embedded (in-process bus, chDB) or kafka (KAFKA_BROKERS)').choices(['embedded', 'kafka']))
    .option('--services <list>', `comma-separated services to run (default: all of ${SERVICE_NAMES.join(',')})`, serviceList)
    .option('--data-dir <dir>', 'where local state lives (chDB, idempotency logs); default ./.homeostat')
    .option('--loops <dir>', 'directory of loop specs (*.yaml) to load and validate at start')
    .action(startCommand);

  program
    .command('shop')
    .description('run the demo target: an instrumented shop with fault injection and an actuator API')
    .option('--port <port>', 'HTTP port (0 = any free port)', parsePort, 3000)
    .option('--traffic <rps>', 'synthetic requests per second it sends itself (0 = none)', parseRate, 20)
    .option('--otlp-endpoint <url>', 'OTLP/HTTP endpoint (default OTEL_EXPORTER_OTLP_ENDPOINT, then http://127.0.0.1:4318)')
    .option('--data-dir <dir>', 'where the versioned config lives (default ./.homeostat/shop)')
    .action(shopCommand);

  program
    .command('demo')
    .description('the self-healing loop on the demo shop: inject faults one after another, watch it learn, print what it measured')
    .option('--incidents <n>', 'how many faults to inject', parsePositiveInt, 8)
    .option('--faults <list>', 'comma-separated faults (default: pool-leak,slow-dependency,retry-storm,bad-config)', parseFaults)
    .option('--seed <n>', 'seed for the order of the faults', parseSeed, 1)
    .option('--json <file>', 'write the run (every incident, every action, the summary) as JSON')
    .option('--chart <file>', 'write the learning curve (time to recover by occurrence) as SVG')
    .option('--data-dir <dir>', 'where the run keeps its state (default: a fresh ./.homeostat/demo-<time>)')
    .option('--loops <dir>', "loop specs (default: the shop's, examples/shop/loops)")
    .option('--traffic <rps>', "the shop's synthetic load", parseRate, 20)
    .option('--shop-port <port>', "the shop's port (0 = any free port)", parsePort, 3000)
    .option('--warmup <s>', 'seconds of normal traffic before the first fault (the analyzer learns the baselines)', parseSeconds, 45)
    .option('--timeout <s>', 'give up on an incident after this many seconds', parseSeconds, 300)
    .option('--back-to-back', 'inject the next fault as soon as the shop is healthy again, without waiting for the incident to resolve')
    .option(
      '--loop <kind>',
      'remediate (the shop, default), repair (connector-app: dependency updates that break its CI) or optimize (the demo gateway under hot-key load)',
      parseDemoLoop,
      'remediate',
    )
    .action(demoCommand);

  program
    .command('validate')
    .description('check loop spec and intent files; prints file:line:column, the field and what is wrong')
    .argument('<files...>', 'loop spec files (YAML) and intent files (YAML or JSON, kind: Intent)')
    .option('--json', 'print the results as JSON')
    .action(validateCommand);

  program
    .command('gateway')
    .description(
      "run the optimize loop's target: an API gateway in front of upstream replicas in their own processes, with a config actuator",
    )
    .option('--port <port>', 'HTTP port of the gateway (0 = any free port)', parsePort, 8000)
    .option('--topology <name>', 'demo (catalog ×3, pricing ×2, orders, inventory) or minimal', parseTopology, 'demo')
    .option('--upstream-base-port <port>', 'upstream replicas on consecutive ports from this one (0 = free ports)', parsePort, 4100)
    .option('--otlp-endpoint <url>', 'OTLP/HTTP endpoint (default OTEL_EXPORTER_OTLP_ENDPOINT, then http://127.0.0.1:4318)')
    .option('--data-dir <dir>', 'where the versioned config lives (default ./.homeostat/gateway)')
    .option('--config <file>', 'the first config (JSON) when the data dir holds none (default: no cache, no retry, round-robin)')
    .action(gatewayCommand);

  program
    .command('intent')
    .description('the API gateway config generated from an intent (per route: SLO, idempotent, max staleness, upstreams), as JSON')
    .argument('<file>', 'intent file (YAML or JSON, kind: Intent)')
    .option('--explain', 'print each knob with the reason for its value instead of the JSON')
    .option('--apply <url>', 'also put it live on the gateway at this base URL (PUT /actuator/config?mode=replace)')
    .action(intentCommand);

  program
    .command('replay')
    .description("score recorded timestamp,value CSV series with the analyzer's detector → <out-dir>/<same base name> with anomaly_score")
    .argument('<files...>', 'CSV files with the header timestamp,value')
    .requiredOption('--out-dir <dir>', 'where the scored CSV files go (created if missing)')
    .option('--progress', 'show the progress bar even when stderr is not a terminal')
    .action(replayCommand);

  program
    .command('templates')
    .description("mine log templates with the analyzer's own online miner: one message per line → <out-dir>/<base name>.jsonl")
    .argument('<files...>', 'log files, one message body per line')
    .requiredOption('--out-dir <dir>', 'where the .jsonl files go (created if missing)')
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .action(templatesCommand);

  program
    .command('triage')
    .description(
      "diagnose failed build logs with the repair loop's own analysis → <out-dir>/<base name>.json (reason lines, category, signature, culprits, similar)",
    )
    .argument('<log-files...>', 'build logs, plain or .gz')
    .requiredOption('--out-dir <dir>', 'where the .json answers go (created if missing)')
    .option('--similar <k>', 'how many similar failures among the other inputs to list', parseSimilar, 5)
    .option('--max-bytes <n>', 'refuse a log larger than this once decompressed (default 1 GiB)', parseMaxBytes)
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .action(triageCommand);

  program
    .command('rca')
    .description(
      "rank the likely root causes of recorded issues with the analyzer's own root-cause ranking → <out-dir>/<issue dir name>.json",
    )
    .argument('<issue-dirs...>', 'directories, each with metrics.csv (the window around the alarm) and target.json (the alarm)')
    .requiredOption('--graph <file>', 'the call graph as an adjacency matrix CSV (row A, column B = 1: A calls B)')
    .option('--normal <file>', "metrics of normal operation, same format as the issues' (default: each issue's rows before the alarm)")
    .requiredOption('--out-dir <dir>', 'where the .json answers go (created if missing)')
    .action(rcaCommand);

  const control = (
    name: string,
    description: string,
    argument: string,
    action: (arg: string, options: Record<string, string>) => Promise<void>,
  ): void => {
    program
      .command(name)
      .description(description)
      .argument(argument)
      .option('--reason <text>', 'why (recorded in the ledger)')
      .option('--actor <name>', 'who (default: HOMEOSTAT_ACTOR or $USER)')
      .option('--api <url>', 'the control API (default: HOMEOSTAT_API_URL or http://127.0.0.1:8080)')
      .action(action);
  };
  program
    .command('explain')
    .description('print a decision as the loop thought it: evidence, hypothesis, candidates with scores, guardrail checks, outcome')
    .argument('<decision-id>')
    .option('--json', 'print the raw decision, the approve/reject commands people gave about it, and its outcomes')
    .option('--api <url>', 'the control API (default: HOMEOSTAT_API_URL or http://127.0.0.1:8080)')
    .action(explainCommand);

  control('approve', 'approve a decision that waits for a person: it executes', '<decision-id>', approveCommand);
  control('reject', 'reject a waiting decision: it is recorded and not executed', '<decision-id>', rejectCommand);
  control('pause', 'pause a loop: it keeps observing but decides nothing', '<loop>', pauseCommand);
  control('resume', 'resume a paused loop', '<loop>', resumeCommand);
  program
    .command('kill-switch')
    .description('stop every loop (or one with --loop) from acting: on | off')
    .argument('<state>', 'on or off')
    .option('--loop <name>', 'only this loop')
    .option('--reason <text>', 'why (recorded in the ledger)')
    .option('--actor <name>', 'who')
    .option('--api <url>', 'the control API')
    .action(killSwitchCommand);

  return program;
}
