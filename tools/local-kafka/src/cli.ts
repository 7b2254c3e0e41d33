/**
 * Command line for the local Kafka broker; deploy/local-kafka/kafka.sh runs it with
 * `node -r @swc-node/register tools/local-kafka/src/cli.ts <command> ...`.
 * Only `start` writes to stdout (the bootstrap address); progress goes to stderr.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR, fetchKafkaJars, localKafkaStatus, startLocalKafka, stopLocalKafka } from './local-kafka';

const USAGE = `usage: kafka.sh <command> [options]

  fetch   [--force]                              download the Kafka jars into the cache once
  start   [--port N] [--data-dir DIR] [--heap-mb N] [--timeout-ms N]
                                                 start a broker in the background, print 127.0.0.1:PORT
  stop    [--data-dir DIR] [--timeout-ms N]      SIGTERM, wait for a clean exit (30 s), then SIGKILL
  status  [--data-dir DIR]                       exit 0 when running, 3 when stopped

  defaults: --data-dir ${DEFAULT_DATA_DIR}, jar cache \${HOMEOSTAT_KAFKA_CACHE:-~/.cache/homeostat/kafka}
`;

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '-h' || command === '--help') {
    (command ? process.stdout : process.stderr).write(USAGE);
    return command ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'heap-mb': { type: 'string' },
      'timeout-ms': { type: 'string' },
      force: { type: 'boolean' },
    },
  });
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  switch (command) {
    case 'fetch': {
      const dir = await fetchKafkaJars({ force: values.force ?? false });
      process.stderr.write(`[local-kafka] jars ready in ${dir}\n`);
      return 0;
    }
    case 'start': {
      const kafka = await startLocalKafka({
        dataDir,
        port: intOption(values.port, 'port'),
        heapMb: intOption(values['heap-mb'], 'heap-mb'),
        startTimeoutMs: intOption(values['timeout-ms'], 'timeout-ms'),
      });
      process.stderr.write(`[local-kafka] pid ${kafka.pid}, data ${kafka.dataDir}, log ${kafka.logFile}\n`);
      process.stdout.write(`${kafka.brokers}\n`);
      return 0;
    }
    case 'stop': {
      const stopped = await stopLocalKafka({ dataDir }, { timeoutMs: intOption(values['timeout-ms'], 'timeout-ms') });
      process.stderr.write(`[local-kafka] ${stopped ? 'stopped' : 'not running'} (${dataDir})\n`);
      return 0;
    }
    case 'status': {
      const s = await localKafkaStatus(dataDir);
      process.stdout.write(
        s.running
          ? `running pid=${s.pid} brokers=${s.brokers ?? '?'} ready=${s.ready ? 'yes' : 'no'} data=${s.dataDir}\n`
          : `stopped data=${s.dataDir}\n`,
      );
      return s.running ? 0 : 3;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`kafka.sh: ${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
