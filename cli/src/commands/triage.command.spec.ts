import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { diagnoseFile, logId, triageFiles, type TriageAnswer } from './triage.command';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'triage-spec-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, 'in', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}
const outDir = (): string => path.join(dir, 'out');
const answer = (id: string): TriageAnswer => JSON.parse(fs.readFileSync(path.join(outDir(), `${id}.json`), 'utf8')) as TriageAnswer;

const failure = (project: string): string =>
  [
    '[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/apache/mina/mina-core/2.2.1/mina-core-2.2.1.jar (677 kB at 14 MB/s)',
    `[ERROR] /${project}/src/main/java/com/${project}/A.java:[3,9] package org.apache.mina.filter.ssl does not exist`,
    `[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.8.0:compile (default-compile) on project ${project}: Compilation failure`,
  ].join('\r\n');

describe('triage command', () => {
  it('writes <base>.json per log, plain or gzip, with similar logs among the other inputs', async () => {
    const a = write('a.log', failure('shop'));
    const b = write('b.log.gz', zlib.gzipSync(failure('billing')));
    const { results, failures } = await triageFiles([a, b], { outDir: outDir(), similar: 3 });
    expect(failures).toEqual([]);
    expect(results.map((r) => r.id)).toEqual(['a', 'b']);
    const got = answer('b');
    expect(got.reasonLines).toEqual([[2, 3]]);
    expect(got.category).toBe('compilation');
    expect(got.culprits[0]?.name).toBe('org.apache.mina:mina-core');
    expect(got.similar.map((s) => s.id)).toEqual(['a']);
    expect(Object.keys(got).sort()).toEqual(['category', 'culprits', 'reasonLines', 'signature', 'similar']);
  });

  it('reports empty, binary, not-gzip and invalid UTF-8 files one by one and goes on with the others', async () => {
    const good = write('good.log', failure('shop'));
    const files = [
      write('empty.log', ''),
      write('binary.log', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0x02, 0x0a])),
      write('plain.log.gz', 'not gzip at all\n'),
      write('latin1.log', Buffer.from('caf\xe9 failed\n', 'latin1')),
      write('cut.log.gz', zlib.gzipSync(failure('x')).subarray(0, 30)),
      good,
    ];
    const { results, failures } = await triageFiles(files, { outDir: outDir() });
    expect(results.map((r) => r.file)).toEqual([good]);
    const messages = failures.map((f) => f.error.message);
    expect(messages).toEqual([
      expect.stringMatching(/empty\.log: empty/),
      expect.stringMatching(/binary\.log: binary data/),
      expect.stringMatching(/plain\.log\.gz: named \.gz but is not gzip/),
      expect.stringMatching(/latin1\.log: not valid UTF-8/),
      expect.stringMatching(/cut\.log\.gz: /),
    ]);
    expect(fs.readdirSync(outDir())).toEqual(['good.json']);
  });

  it('refuses a log larger than the limit, and two inputs that would write the same file', async () => {
    const big = write('big.log', 'x\n'.repeat(1000));
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'big.log'), failure('shop'));
    const { failures } = await triageFiles([big, path.join(other, 'big.log')], { outDir: outDir(), maxBytes: 100 });
    expect(failures.map((f) => f.error.message)).toEqual([
      expect.stringMatching(/larger than 100 bytes/),
      expect.stringMatching(/same base name/),
    ]);
  });

  it('reads a 50 MB log without holding it: heap stays far below the log size', async () => {
    const line = '[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/foo/bar/1.0/bar-1.0.pom (1 kB at 1 MB/s)\n';
    const body = line.repeat(Math.ceil(50_000_000 / line.length)) + failure('shop');
    const file = write('big.log.gz', zlib.gzipSync(body, { level: 1 }));
    const size = body.length;
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const d = await diagnoseFile(file, { onBytes: () => (peak = Math.max(peak, process.memoryUsage().heapUsed)) });
    expect(d.lines).toBeGreaterThan(400_000);
    expect(d.culprits[0]?.name).toBe('org.apache.mina:mina-core');
    expect(size).toBeGreaterThan(50_000_000);
    expect(peak - before).toBeLessThan(size / 2);
  }, 30_000);

  it('names outputs by the base name without .gz and the last extension', () => {
    expect(logId('/x/0a1b.log.gz')).toBe('0a1b');
    expect(logId('fail.log')).toBe('fail');
    expect(logId('build')).toBe('build');
  });
});
