import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVICE_NAMES } from '@homeostat/config';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'cli/bin/homeostat.js');
const VALID_LOOP = join(ROOT, 'libs/contracts/src/testing/fixtures/valid-loop.yaml');
const EPHEMERAL_PORTS = {
  COLLECTOR_PORT: '0',
  ANALYZER_PORT: '0',
  DECIDER_PORT: '0',
  EXECUTOR_PORT: '0',
  LEARNER_PORT: '0',
  CONSOLE_PORT: '0',
};

/** A process of ours, its JSON log lines collected, the URL each service announced. */
class Launched {
  readonly log: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.raw.push(line);
        try {
          this.log.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          /* not a log line */
        }
      });
    }
    this.exited = new Promise((done) => child.on('exit', (code, signal) => done({ code, signal })));
  }

  urls(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of this.log) {
      const m = /^(\w+) ready on (http:\/\/\S+)$/.exec(String(l['msg']));
      if (m) out[m[1]!] = m[2]!;
    }
    return out;
  }

  async waitForServices(names: readonly string[], timeoutMs = 90_000): Promise<Record<string, string>> {
    const start = Date.now();
    while (names.some((n) => !this.urls()[n])) {
      if (this.child.exitCode !== null) throw new Error(`exited ${this.child.exitCode}:\n${this.raw.join('\n')}`);
      if (Date.now() - start > timeoutMs) throw new Error(`services not up in time:\n${this.raw.slice(-40).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.urls();
  }
}

function launch(args: string[], env: Record<string, string>, script = BIN): Launched {
  const child = spawn(process.execPath, script === BIN ? [BIN, ...args] : ['-r', '@swc-node/register', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Launched(child);
}

async function expectReadyThenCleanStop(
  p: Launched,
  names: readonly string[],
  whileRunning?: (urls: Record<string, string>) => Promise<void>,
): Promise<void> {
  const urls = await p.waitForServices(names);
  for (const name of names) {
    let status = 0;
    for (let i = 0; i < 300 && status !== 200; i++) {
      status = (await fetch(`${urls[name]}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect({ name, status }).toEqual({ name, status: 200 });
  }
  await whileRunning?.(urls);
  p.child.kill('SIGTERM');
  const { code } = await p.exited;
  expect({ code, log: code === 0 ? '' : p.raw.slice(-20).join('\n') }).toEqual({ code: 0, log: '' });
  expect(p.log.some((l) => l['msg'] === 'stopped')).toBe(true);
}

describe('homeostat validate', () => {
  it('accepts a valid loop spec', () => {
    const r = spawnSync(process.execPath, [BIN, 'validate', VALID_LOOP], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`ok    ${VALID_LOOP}`);
    expect(r.stdout).toContain('1 valid, 0 invalid');
  });

  it('names the file, line, column and field of each error, and exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'validate-'));
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      [
        'apiVersion: homeostat.dev/v1',
        'kind: Loop',
        'metadata:',
        '  name: Not_A_DNS_Label',
        '  version: "1"',
        'spec:',
        '  target: {service: shop}',
        '',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [BIN, 'validate', VALID_LOOP, bad], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:9 +metadata\\.name `));
    expect(r.stdout).toMatch(/spec\.signals/);
    expect(r.stdout).toContain('1 valid, 1 invalid');
  });
});

describe('homeostat start', () => {
  it('runs every stage in one process by default (embedded) and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'embedded-'));
    const p = launch(['start', '--data-dir', dataDir, '--loops', resolve(VALID_LOOP, '..')], { ...EPHEMERAL_PORTS, HOMEOSTAT_MODE: '' });
    await expectReadyThenCleanStop(p, SERVICE_NAMES, async (urls) => {
      // People's commands from the terminal go through the running stack's control API.
      const paused = spawnSync(
        process.execPath,
        [BIN, 'pause', 'shop-pool-exhaustion', '--reason', 'maintenance window', '--actor', 'dana', '--api', urls['console']!],
        { encoding: 'utf8' },
      );
      expect(paused.stderr).toBe('');
      expect(paused.stdout).toMatch(/^pause-loop accepted \(event [0-9a-f-]{36}\)$/m);
      const wrong = spawnSync(process.execPath, [BIN, 'kill-switch', 'maybe', '--api', urls['console']!], { encoding: 'utf8' });
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toContain('kill-switch takes on or off, not maybe');
    });
    expect(p.log.some((l) => String(l['msg']).startsWith('loaded 1 loop spec(s)'))).toBe(true);
  });

  it('runs the chosen services against Kafka with --mode kafka', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kafka-mode-'));
    const p = launch(['start', '--mode', 'kafka', '--services', 'analyzer,learner', '--data-dir', dataDir], {
      ...EPHEMERAL_PORTS,
      HOMEOSTAT_TOPIC_PREFIX: `cli${randomUUID().slice(0, 8)}.`,
    });
    await expectReadyThenCleanStop(p, ['analyzer', 'learner']);
  });

  it('says clearly when the control API cannot be reached', () => {
    const r = spawnSync(process.execPath, [BIN, 'approve', 'some-decision', '--api', 'http://127.0.0.1:9'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot reach the control API at http://127.0.0.1:9');
  });

  it('refuses to start on a bad setting, naming it', () => {
    const r = spawnSync(process.execPath, [BIN, 'start', '--mode', 'kafka'], {
      encoding: 'utf8',
      env: { ...process.env, KAFKA_BROKERS: '' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('KAFKA_BROKERS: is required when HOMEOSTAT_MODE=kafka');
  });
});

describe('each service on its own (distributed mode)', () => {
  it('starts every service as a separate process on Kafka, each ready, each stopping cleanly on SIGTERM', async () => {
    const prefix = `svc${randomUUID().slice(0, 8)}.`;
    const launched = await Promise.all(
      SERVICE_NAMES.map(async (name) => {
        const dataDir = await mkdtemp(join(tmpdir(), `${name}-`));
        return {
          name,
          p: launch(
            [],
            { ...EPHEMERAL_PORTS, HOMEOSTAT_MODE: 'kafka', HOMEOSTAT_TOPIC_PREFIX: prefix, HOMEOSTAT_DATA_DIR: dataDir },
            join(ROOT, `services/${name}/src/main.ts`),
          ),
        };
      }),
    );
    for (const { name, p } of launched) await expectReadyThenCleanStop(p, [name]);
  });
});
