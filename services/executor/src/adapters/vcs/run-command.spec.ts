import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand } from './run-command';

const env = { PATH: process.env['PATH'] ?? '' };
/** Running: exists and is not a zombie (a killed orphan stays one until its new parent reaps it). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('runCommand (real processes)', () => {
  it('reports the exit code and the tail of the output, bounded', async () => {
    const run = await runCommand(['node', '-e', 'process.stdout.write("x".repeat(50000)); process.stderr.write("END"); process.exit(3)'], {
      cwd: os.tmpdir(),
      env,
      timeoutMs: 10_000,
      maxOutput: 100,
    });
    expect([run.exitCode, run.timedOut]).toEqual([3, false]);
    expect(run.outputTail).toHaveLength(100);
    expect(run.outputTail.endsWith('END')).toBe(true);
  });

  it('on the time limit kills the whole process group, grandchildren included', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'homeostat-run-'));
    const pidFile = path.join(dir, 'grandchild.pid');
    // A parent that starts a grandchild (as npm test starts node --test) and both would run forever.
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000);`;
    try {
      const started = Date.now();
      const run = await runCommand(['node', '-e', script], { cwd: dir, env, timeoutMs: 1_000, maxOutput: 1_000, graceMs: 500 });
      expect(run.timedOut).toBe(true);
      expect(run.signal).toBe('SIGTERM');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(run.outputTail).toMatch(/stopped after 1000 ms/);
      const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(grandchild)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never rejects: a command that does not exist is a failed run with the reason', async () => {
    const run = await runCommand(['no-such-command-here'], { cwd: os.tmpdir(), env, timeoutMs: 5_000, maxOutput: 1_000 });
    expect(run.exitCode).not.toBe(0);
    expect(run.outputTail).toMatch(/ENOENT/);
  });
});
