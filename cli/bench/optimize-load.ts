/**
 * The load generator of `npm run bench:optimize`, a process of its own (loopback, as a client
 * would be), started once for the whole bench: each line on stdin is a run
 * `{"url","scenario","baseRps","seed","durationS","timeoutMs"?}`. A run is open loop — requests
 * are sent at the scenario's rate whether or not earlier ones were answered — with the scenario's
 * seeded paths. It prints `start`, then one line per answered request `<sent ms> <route> <status>
 * <latency ms> <attempts>` (status 0: no answer within the client timeout, or a connection
 * error), then `end <sent> <unanswered>`. Stdin closed: it exits.
 */
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { requestsDue, requestStream, scenarios } from './optimize-scenarios';

interface LoadArgs {
  url: string;
  scenario: string;
  baseRps: number;
  seed: number;
  durationS: number;
  timeoutMs?: number;
}

const dispatcher = new Agent({ connections: 512, keepAliveTimeout: 30_000 });

async function run(args: LoadArgs): Promise<void> {
  const scenario = scenarios(args.baseRps).find((s) => s.name === args.scenario);
  if (!scenario) throw new Error(`no scenario "${args.scenario}"`);
  const timeoutMs = args.timeoutMs ?? 2_000;
  const next = requestStream(scenario, args.seed);
  const lines: string[] = [];
  const flush = (): void => {
    if (lines.length > 0) process.stdout.write(lines.splice(0).join('\n') + '\n');
  };
  let sent = 0;
  let pending = 0;
  const started = performance.now();
  process.stdout.write('start\n');
  const send = (): void => {
    const sentAt = performance.now() - started;
    const r = next(sentAt / 1_000 / args.durationS);
    const route = r.path.split('/')[1] ?? '';
    sent++;
    pending++;
    const done = (status: number, attempts: number): void => {
      pending--;
      lines.push(`${Math.round(sentAt)} ${route} ${status} ${(performance.now() - started - sentAt).toFixed(1)} ${attempts}`);
    };
    request(args.url + r.path, {
      method: r.method,
      dispatcher,
      // The whole exchange, queueing in the client included, within the client's timeout.
      signal: AbortSignal.timeout(timeoutMs),
      ...(r.method === 'POST' ? { body: '{"item":"x","qty":1}', headers: { 'content-type': 'application/json' } } : {}),
    })
      .then(async (res) => {
        await res.body.dump();
        done(res.statusCode, Number(res.headers['x-gateway-attempts'] ?? 0));
      })
      .catch(() => done(0, 0));
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsedS = (performance.now() - started) / 1_000;
      const due = requestsDue(scenario, elapsedS, args.durationS) - sent;
      for (let i = 0; i < due; i++) send();
      flush();
      if (elapsedS >= args.durationS) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  const deadline = performance.now() + timeoutMs + 500;
  while (pending > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  flush();
  process.stdout.write(`end ${sent} ${pending}\n`);
}

async function main(): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    await run(JSON.parse(line) as LoadArgs);
  }
  await dispatcher.close().catch(() => undefined);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`optimize-load: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
