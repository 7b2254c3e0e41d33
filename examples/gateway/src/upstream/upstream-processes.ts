import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReplicaSpec, Topology } from '../topology';

export interface UpstreamProcess {
  upstream: string;
  replica: number;
  url: string;
  child: ChildProcess;
}

export interface RunningUpstreams {
  /** Replica URLs per upstream name, in the topology's order. */
  urls: Record<string, string[]>;
  processes: UpstreamProcess[];
  stop(): Promise<void>;
}

/** How to run this package's main in a child: the TypeScript source through @swc-node/register, or the built bundle. */
function mainCommand(): string[] {
  const ts = path.join(__dirname, '..', 'main.ts');
  if (fs.existsSync(ts)) return ['-r', '@swc-node/register', ts];
  const bundle = require.main?.filename;
  if (!bundle) throw new Error('cannot tell which script to run the upstream processes with');
  return [bundle];
}

function startProcess(
  upstream: string,
  replica: number,
  spec: ReplicaSpec,
  port: number,
  dependencyUrl: string | undefined,
  logDir: string | undefined,
): Promise<UpstreamProcess> {
  const args = [
    ...mainCommand(),
    'upstream',
    '--name',
    `${upstream}-${replica}`,
    '--port',
    String(port),
    '--latency-ms',
    String(spec.latencyMs),
    '--jitter-ms',
    String(spec.jitterMs ?? 0),
    '--capacity',
    String(spec.capacity),
    '--max-age-s',
    String(spec.maxAgeS ?? 0),
    ...(dependencyUrl ? ['--dependency', dependencyUrl] : []),
    '--exit-with-parent',
  ];
  // stdin is a pipe only so that the replica sees it close when this process dies, however it dies.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OTEL_SDK_DISABLED: 'true' } });
  const log = logDir ? fs.createWriteStream(path.join(logDir, `${upstream}-${replica}.log`), { flags: 'a' }) : null;
  if (log) child.stderr?.pipe(log);
  else child.stderr?.resume();
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = /upstream \S+ listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.off('exit', onExit);
        resolve({ upstream, replica, url: match[1], child });
      }
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`upstream ${upstream}-${replica} exited (status ${code}) before it listened: ${out.slice(-500)}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}

/**
 * Starts every replica of every upstream of the topology, each in a process of its own on a free
 * loopback port (so a slow replica's latency is its own and not the gateway's event loop), the
 * dependencies first. Stops them all when one fails to start. With `basePort` the replicas take
 * the ports from it on, in the topology's order (the demo's: inventory 4100, catalog 4101-4103,
 * pricing 4104-4105, orders 4106), so an intent file can name them.
 */
export async function startUpstreamProcesses(topology: Topology, logDir?: string, basePort?: number): Promise<RunningUpstreams> {
  const ports = new Map<string, number>();
  let next = basePort ?? 0;
  for (const u of topology.upstreams) u.replicas.forEach((_, i) => ports.set(`${u.name}-${i + 1}`, basePort === undefined ? 0 : next++));
  if (logDir) fs.mkdirSync(logDir, { recursive: true });
  const urls: Record<string, string[]> = {};
  const processes: UpstreamProcess[] = [];
  const pending = [...topology.upstreams];
  try {
    while (pending.length > 0) {
      const ready = pending.filter((u) => u.dependency === undefined || urls[u.dependency] !== undefined);
      if (ready.length === 0)
        throw new Error(
          `upstream dependencies form a cycle or name unknown upstreams: ${pending.map((u) => `${u.name} -> ${u.dependency}`).join(', ')}`,
        );
      const started = await Promise.all(
        ready.flatMap((u) =>
          u.replicas.map((spec, i) =>
            startProcess(
              u.name,
              i + 1,
              spec,
              ports.get(`${u.name}-${i + 1}`) ?? 0,
              u.dependency ? urls[u.dependency]?.[0] : undefined,
              logDir,
            ),
          ),
        ),
      );
      processes.push(...started);
      for (const u of ready) {
        urls[u.name] = started
          .filter((p) => p.upstream === u.name)
          .sort((a, b) => a.replica - b.replica)
          .map((p) => p.url);
        pending.splice(pending.indexOf(u), 1);
      }
    }
  } catch (error) {
    await Promise.allSettled(processes.map((p) => stopProcess(p.child)));
    throw error;
  }
  return { urls, processes, stop: async () => void (await Promise.allSettled(processes.map((p) => stopProcess(p.child)))) };
}
