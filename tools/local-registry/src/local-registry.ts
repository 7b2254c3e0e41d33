import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real npm registry on loopback (Verdaccio, no uplinks): the repair loop's demo and tests publish
 * the packages they bring and npm installs them from it exactly as from the public registry —
 * version ranges, `engines`, peer dependencies, deprecations and lock files all behave as they do
 * there, without network.
 */
export interface LocalRegistry {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** An npm user config with a token for this registry (Verdaccio here accepts any token). */
  readonly userconfig: string;
  /** `npm publish DIR` to this registry. */
  publish(dir: string): Promise<void>;
  /** `npm deprecate SPEC MESSAGE` on this registry. */
  deprecate(spec: string, message: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartLocalRegistryOptions {
  /** Storage, config and npm cache go here (created; left for the caller to remove). */
  readonly dir: string;
  readonly startTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function ping(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('-/ping', url), { signal: AbortSignal.timeout(500) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function startLocalRegistry(options: StartLocalRegistryOptions): Promise<LocalRegistry> {
  const dir = path.resolve(options.dir);
  fs.mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  // JSON is YAML: Verdaccio reads it as its config. Anyone may read and publish: it listens on
  // loopback only and holds nothing but the packages the caller brings.
  const config = {
    storage: path.join(dir, 'storage'),
    auth: { htpasswd: { file: path.join(dir, 'htpasswd'), max_users: -1 } },
    uplinks: {},
    packages: { '**': { access: '$all', publish: '$all', unpublish: '$all' } },
    log: { type: 'stdout', format: 'pretty', level: 'warn' },
    max_body_size: '10mb',
  };
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const userconfig = path.join(dir, 'npmrc');
  fs.writeFileSync(userconfig, `//127.0.0.1:${port}/:_authToken=local-registry\n`);
  const bin = require.resolve('verdaccio/bin/verdaccio');
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', configFile, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '', HOME: dir },
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  while (!(await ping(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the local registry (Verdaccio) did not start on ${url}: ${output.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const npmEnv = { PATH: process.env['PATH'] ?? '', HOME: dir, npm_config_cache: path.join(dir, 'npm-cache') };
  const npm = async (args: string[]): Promise<void> => {
    await run('npm', [...args, '--registry', url, '--userconfig', userconfig, '--no-audit', '--no-fund'], { env: npmEnv, cwd: dir });
  };
  return {
    url,
    userconfig,
    publish: (packageDir) => npm(['publish', path.resolve(packageDir)]),
    deprecate: (spec, message) => npm(['deprecate', spec, message]),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
