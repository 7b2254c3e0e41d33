import { buildFailureSchema, type BuildFailure } from '@homeostat/contracts';
import { fitFailure } from './bus-bounds';
import { DEFAULT_EXCERPT_LIMITS, excerptLog, LogExcerptError, LogExcerpter, wholeLogRanges } from './log-excerpt';
import { splitLines } from './log-lines';
import { triageLog } from './triage';

const noise = (n: number): string => `[INFO] Downloading from central: https://repo/org/example/lib/${n}/lib-${n}.pom`;

describe('LogExcerpter', () => {
  it('keeps the head, each reason line with the lines before it, and the tail; kept says where they were', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => noise(i + 1));
    lines[9_999] = '> node --test';
    lines[10_000] = 'not ok 1 - reads the port as a number';
    lines[19_999] = 'npm error code 1';
    const log = lines.join('\n') + '\n';
    const excerpt = excerptLog(log, { ...DEFAULT_EXCERPT_LIMITS, maxChars: 40_000, tailChars: 10_000 });
    expect(excerpt.lines).toBe(20_000);
    expect(excerpt.chars).toBe(log.length);
    expect(excerpt.text.length).toBeLessThanOrEqual(40_000);
    const kept = excerpt.kept;
    expect(kept[0]).toEqual([1, DEFAULT_EXCERPT_LIMITS.headLines]);
    expect(kept[1]).toEqual([10_001 - 3, 10_001]);
    expect(kept[kept.length - 1]![1]).toBe(20_000);
    // Every kept line is the whole log's line it says it is.
    const ex = splitLines(excerpt.text);
    let i = 0;
    for (const [a, b] of kept) for (let n = a; n <= b; n++) expect(ex[i++]).toBe(lines[n - 1]);
    expect(i).toBe(ex.length);

    // The excerpt's diagnosis, mapped back, names the whole log's lines.
    const diagnosis = triageLog(excerpt.text);
    expect(wholeLogRanges(diagnosis.reasonLines, kept)).toEqual([
      [10_001, 10_001],
      [20_000, 20_000],
    ]);
  });

  it('reads a log given in pieces as the whole, splitting lines across pieces', () => {
    const log = 'a\r\nb\nnot ok 1 - x\n' + 'c\n'.repeat(100);
    const whole = excerptLog(log);
    const piecewise = new LogExcerpter();
    for (let i = 0; i < log.length; i += 3) piecewise.push(log.slice(i, i + 3));
    expect(piecewise.end()).toEqual(whole);
    // It fits: kept whole, line ends made one kind.
    expect(whole.kept).toEqual([[1, 103]]);
    expect(whole.text).toBe(log.replace('\r\n', '\n').replace(/\n$/, ''));
  });

  it('refuses a line longer than a build log has, with a clear error', () => {
    const excerpter = new LogExcerpter({ ...DEFAULT_EXCERPT_LIMITS, maxLineChars: 1_000 });
    expect(() => excerpter.push('x'.repeat(1_001))).toThrow(LogExcerptError);
  });

  it('maps ranges that span a gap of the excerpt into separate ranges, and ignores lines past its end', () => {
    const kept: Array<[number, number]> = [
      [1, 2],
      [10, 11],
    ];
    expect(wholeLogRanges([[2, 3]], kept)).toEqual([
      [2, 2],
      [10, 10],
    ]);
    expect(wholeLogRanges([[4, 9]], kept)).toEqual([[11, 11]]);
  });
});

describe('fitFailure', () => {
  const fix = (id: string, chars: number): BuildFailure['fixes'][number] => ({
    id,
    recipe: id.split(':')[0]!,
    title: id,
    explanation: [],
    prior: 0.5,
    files: chars > 0 ? [{ path: 'package-lock.json', content: 'x'.repeat(chars) }] : [],
    regenerate: [],
    message: id,
  });
  const failure: BuildFailure = {
    repository: '/r.git',
    branch: 'b',
    commit: 'c',
    baseBranch: 'main',
    pipeline: 'ci',
    job: 'test',
    reasonLines: [[1, 1]],
    reasonText: ['not ok 1'],
    category: 'test',
    signature: 'sig',
    similar: [],
    fixes: [fix('move-dependency:a@1', 300_000), fix('revert-update:a@0', 200_000), fix('retry', 0)],
    notes: [],
  };

  it('leaves a failure that fits as it is', () => {
    expect(fitFailure(failure, 600_000)).toBe(failure);
  });

  it('leaves out the largest fixes until the failure fits, and says so in its notes', () => {
    const fitted = fitFailure(failure, 250_000);
    expect(fitted.fixes.map((f) => f.id)).toEqual(['revert-update:a@0', 'retry']);
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(250_000);
    expect(fitted.notes.at(-1)).toMatch(/left out, too big for the bus .*move-dependency:a@1 \(\d+ characters of files\); apply by hand/);
    expect(buildFailureSchema.safeParse(fitted).success).toBe(true);
    expect(fitFailure(failure, 10_000).fixes.map((f) => f.id)).toEqual(['retry']);
  });
});
