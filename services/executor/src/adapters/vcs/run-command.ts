import { spawn } from 'node:child_process';
import type { CommandRun } from '@homeostat/execution';

export interface RunCommandOptions {
  readonly cwd: string;
  /** The whole environment: nothing is inherited. */
  readonly env: Record<string, string>;
  readonly timeoutMs: number;
  /** Output kept: the last this many characters of stdout and stderr together. */
  readonly maxOutput: number;
  /** Between SIGTERM and SIGKILL on a timeout. */
  readonly graceMs?: number;
}

/**
 * Runs one command (an argument array, never a shell string) in its own process group and waits
 * for it. On the time limit the whole group gets SIGTERM, then SIGKILL: `npm test` starts
 * grandchildren (node --test, the project's servers) that killing npm alone would leave running.
 * The group is killed after a normal exit too, for what the command left behind. Never rejects.
 */
export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<CommandRun> {
  const started = Date.now();
  const [file, ...args] = argv;
  let tail = '';
  const keep = (chunk: Buffer | string): void => {
    tail += chunk.toString();
    if (tail.length > options.maxOutput * 2) tail = tail.slice(-options.maxOutput);
  };
  const done = (exitCode: number | null, signal: string | null, timedOut: boolean): CommandRun => ({
    argv: [...argv],
    exitCode,
    signal,
    timedOut,
    durationMs: Date.now() - started,
    outputTail: tail.slice(-options.maxOutput),
  });
  if (file === undefined) return Promise.resolve({ ...done(null, null, false), outputTail: 'no command given' });
  if (options.timeoutMs <= 0) return Promise.resolve({ ...done(null, null, true), outputTail: 'not started: no time left in the budget' });

  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    const finish = (code: number | null, signal: string | null): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      killGroup('SIGKILL');
      // A process that left the group (setsid) may still hold the pipes: stop reading them.
      child.stdout.destroy();
      child.stderr.destroy();
      if (timedOut) keep(`\nstopped after ${options.timeoutMs} ms (time limit)\n`);
      resolve(done(code, signal, timedOut));
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        timers.push(setTimeout(() => killGroup('SIGKILL'), options.graceMs ?? 2_000));
      }, options.timeoutMs),
    );
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => {
      keep(`\n${file}: ${error.message}\n`);
      finish(null, null);
    });
    // 'close' waits for the pipes too; once the command itself has exited, its output gets a moment more.
    child.once('exit', (code, signal) => {
      timers.push(setTimeout(() => finish(code, signal), 1_000));
    });
    child.once('close', (code, signal) => finish(code, signal));
  });
}
