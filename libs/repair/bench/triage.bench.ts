/**
 * Build-failure triage on other people's failures: `BuildLogTriage` (the repair loop's analysis)
 * on BUMP's breaking dependency updates and CiDiff's hand-marked error lines.
 * Run: `npm run bench:triage` (data: HOMEOSTAT_CI_DIR or `-- --data DIR`, default ../shared/ci from
 * the repository root, with `bump/` and `cidiff/`; read in place, never copied).
 *
 * Protocol: every rule and weight was developed looking at the BUMP cases whose breaking commit's
 * sha starts with 0-7 (the "dev" half: `--verbose` lists only its misses) and at CiDiff; the cases
 * starting with 8-f (the "check" half) are only scored. Both halves are printed on every run, so
 * the check figures were seen while developing, and no rule was kept or dropped on them (`--half dev`
 * prints the dev half alone, to develop without seeing them at all). Before any
 * rule, a first look over all 286 counted how often the updated dependency is named outside download
 * lines, per label, and listed the enforcer and test cases where it is not; after that only dev
 * cases were inspected. The records' answers (updated dependency, project) are read only to score.
 *
 * Figures:
 * - culprit: the first culprit against the record's `dependencyGroupID:dependencyArtifactID`.
 *   `exact` counts a first culprit equal to `groupId:artifactId`; `group` also counts a first culprit
 *   whose group (the part before `:`, or the whole name for a package) is the groupId or a package
 *   prefix of it of three segments or more (`org.apache.mina` for `org.apache.mina`), or, for a
 *   package, one below the groupId (`org.apache.poi.xssf`). Two-segment prefixes (`org.apache`) never count.
 * - retrieval: among a failure's similar failures (leave-one-out over all BUMP cases), the most similar
 *   one from another project (records' `project`) updated the same groupId:artifactId; counted over
 *   the failures for which such a failure exists.
 * - reason lines: per CiDiff breakage, precision and recall of the reason lines against the E and C
 *   lines of `groundtruth` and of `groundtruth2` (lines clipped to the log), from the failing log
 *   alone; means over breakages.
 * - with the passing log: the same, after `withoutPassingLines` drops reason lines pass.log has too.
 * - category: agreement with BUMP's label through EXPECTED_CATEGORY (a sanity check only: the label
 *   comes from regular expressions over the same log).
 * - speed: a synthetic 10 MB log (BUMP download lines around a real failure), triaged from a string
 *   split into lines as the CLI feeds them, median of 5 runs on this core.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BuildLogTriage, lineKey, similarFailures, splitLines, withoutPassingLines, type BuildDiagnosis } from '../src';

function dataDir(): string {
  const flag = process.argv.indexOf('--data');
  const given = flag >= 0 ? process.argv[flag + 1] : process.env['HOMEOSTAT_CI_DIR'];
  return path.resolve(given ?? path.join(__dirname, '..', '..', '..', '..', 'shared', 'ci'));
}

function readMaybeGzip(file: string): string {
  const buf = fs.readFileSync(file);
  return (file.endsWith('.gz') ? zlib.gunzipSync(buf) : buf).toString('utf8');
}

function diagnose(text: string): BuildDiagnosis {
  const triage = new BuildLogTriage();
  for (const line of splitLines(text)) triage.addLine(line);
  return triage.finish();
}

interface BumpCase {
  sha: string;
  project: string;
  dependency: string;
  groupId: string;
  category: string;
  diagnosis: BuildDiagnosis;
}

function culpritHit(first: string | undefined, groupId: string, artifactId: string): { exact: boolean; group: boolean } {
  if (first === undefined) return { exact: false, group: false };
  if (first === `${groupId}:${artifactId}`) return { exact: true, group: true };
  const group = first.includes(':') ? (first.split(':')[0] as string) : first;
  const prefix = group === groupId || (groupId.startsWith(`${group}.`) && group.split('.').length >= 3);
  const below = !first.includes(':') && first.startsWith(`${groupId}.`);
  return { exact: false, group: prefix || below };
}

/** Our categories that say what each BUMP label says (its ENFORCER_FAILURE holds three Checkstyle cases). */
const EXPECTED_CATEGORY: Record<string, string[]> = {
  COMPILATION_FAILURE: ['compilation'],
  TEST_FAILURE: ['test'],
  ENFORCER_FAILURE: ['dependency-constraint', 'lint'],
  WERROR_FAILURE: ['lint'],
  DEPENDENCY_RESOLUTION_FAILURE: ['dependency-resolution'],
  DEPENDENCY_LOCK_FAILURE: ['lock-file'],
};

const pct = (a: number, b: number): string => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)} % (${a}/${b})`);

function bump(dir: string): BumpCase[] {
  const records = path.join(dir, 'bump', 'records');
  const cases: BumpCase[] = [];
  for (const file of fs.readdirSync(records).sort()) {
    const r = JSON.parse(fs.readFileSync(path.join(records, file), 'utf8')) as {
      breakingCommit: string;
      project: string;
      failureCategory: string;
      updatedDependency: { dependencyGroupID: string; dependencyArtifactID: string };
    };
    const log = path.join(dir, 'bump', 'logs', `${r.breakingCommit}.log.gz`);
    if (!fs.existsSync(log)) continue;
    const g = r.updatedDependency.dependencyGroupID;
    cases.push({
      sha: r.breakingCommit,
      project: r.project,
      dependency: `${g}:${r.updatedDependency.dependencyArtifactID}`,
      groupId: g,
      category: r.failureCategory,
      diagnosis: diagnose(readMaybeGzip(log)),
    });
  }
  return cases;
}

function reportBump(cases: BumpCase[], verbose: boolean, only: string | undefined): void {
  const similar = similarFailures(
    cases.map((c) => ({ id: c.sha, features: c.diagnosis.features })),
    cases.length,
  );
  const byId = new Map(cases.map((c) => [c.sha, c]));
  const halves: Array<[string, (c: BumpCase) => boolean]> = [
    ['dev (sha 0-7)', (c) => /^[0-7]/.test(c.sha)],
    ['check (sha 8-f)', (c) => /^[89a-f]/.test(c.sha)],
    ['all', () => true],
  ];
  process.stdout.write(`\nBUMP: ${cases.length} breaking updates\n`);
  for (const [name, inHalf] of halves) {
    if (only !== undefined && !name.startsWith(only)) continue;
    const half = cases.filter(inHalf);
    let exact = 0;
    let group = 0;
    let agreeing = 0;
    let retrievable = 0;
    let retrieved = 0;
    const perCategory = new Map<string, [number, number]>();
    for (const c of half) {
      const [g, a] = c.dependency.split(':') as [string, string];
      const hit = culpritHit(c.diagnosis.culprits[0]?.name, g, a);
      if (hit.exact) exact++;
      if (hit.group) group++;
      if (EXPECTED_CATEGORY[c.category]?.includes(c.diagnosis.category)) agreeing++;
      const pc = perCategory.get(c.category) ?? [0, 0];
      perCategory.set(c.category, [pc[0] + (hit.group ? 1 : 0), pc[1] + 1]);
      if (verbose && name.startsWith('dev') && !hit.group)
        process.stdout.write(
          `  miss ${c.sha.slice(0, 8)} ${c.category} want ${c.dependency} got ${c.diagnosis.culprits
            .slice(0, 3)
            .map((x) => x.name)
            .join(', ')}\n`,
        );
      const exists = cases.some((o) => o.project !== c.project && o.dependency === c.dependency);
      if (exists) {
        retrievable++;
        const top = (similar.get(c.sha) ?? []).map((s) => byId.get(s.id)).find((o) => o !== undefined && o.project !== c.project);
        if (top?.dependency === c.dependency) retrieved++;
      }
    }
    process.stdout.write(
      `  ${name}: culprit first, exact groupId:artifactId ${pct(exact, half.length)}; exact or group ${pct(group, half.length)}\n`,
    );
    process.stdout.write(
      `    per category (exact or group): ${[...perCategory.entries()].map(([k, [h, t]]) => `${k} ${h}/${t}`).join(', ')}\n`,
    );
    process.stdout.write(`    category agrees with the dataset's label (a sanity check): ${pct(agreeing, half.length)}\n`);
    process.stdout.write(`    retrieval: most similar from another project updated the same dependency ${pct(retrieved, retrievable)}\n`);
  }
}

function readMarks(file: string, lines: number): Set<number> {
  const marks = new Set<number>();
  if (!fs.existsSync(file)) return marks;
  for (const item of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
    const m = /^[EC] (\d+)(?:-(\d+))?\s*$/.exec(item.trim());
    if (!m) continue;
    const a = Number(m[1]);
    const b = Math.min(Number(m[2] ?? m[1]), lines);
    for (let i = a; i <= b; i++) marks.add(i);
  }
  return marks;
}

function reportCidiff(dir: string, verbose: boolean): void {
  const root = path.join(dir, 'cidiff');
  const cases = fs
    .readdirSync(root)
    .filter((d) => fs.statSync(path.join(root, d)).isDirectory())
    .sort();
  type Key = 'gt' | 'gt2' | 'gtPass' | 'gt2Pass';
  const sums: Record<Key, { p: number; r: number; f: number }> = {
    gt: { p: 0, r: 0, f: 0 },
    gt2: { p: 0, r: 0, f: 0 },
    gtPass: { p: 0, r: 0, f: 0 },
    gt2Pass: { p: 0, r: 0, f: 0 },
  };
  process.stdout.write(`\nCiDiff: ${cases.length} breakages, reason lines\n`);
  for (const c of cases) {
    const plain = path.join(root, c, 'fail.log');
    const text = readMaybeGzip(fs.existsSync(plain) ? plain : `${plain}.gz`);
    const d = diagnose(text);
    const failLines = splitLines(text);
    const passPlain = path.join(root, c, 'pass.log');
    const passKeys = new Set(splitLines(readMaybeGzip(fs.existsSync(passPlain) ? passPlain : `${passPlain}.gz`)).map(lineKey));
    const withPass = withoutPassingLines(d.reasonLines, (n) => failLines[n - 1] ?? '', passKeys);
    const toSet = (ranges: ReadonlyArray<readonly [number, number]>): Set<number> => {
      const lines = new Set<number>();
      for (const [a, b] of ranges) for (let i = a; i <= b; i++) lines.add(i);
      return lines;
    };
    const row: string[] = [];
    for (const [key, file, found] of [
      ['gt', 'groundtruth', toSet(d.reasonLines)],
      ['gt2', 'groundtruth2', toSet(d.reasonLines)],
      ['gtPass', 'groundtruth', toSet(withPass)],
      ['gt2Pass', 'groundtruth2', toSet(withPass)],
    ] as const) {
      const expected = readMarks(path.join(root, c, file), d.lines);
      let both = 0;
      for (const i of found) if (expected.has(i)) both++;
      const p = found.size === 0 ? 0 : both / found.size;
      const r = expected.size === 0 ? 1 : both / expected.size;
      sums[key].p += p;
      sums[key].r += r;
      sums[key].f += p + r === 0 ? 0 : (2 * p * r) / (p + r);
      if (!key.endsWith('Pass')) row.push(`${file} P ${p.toFixed(2)} R ${r.toFixed(2)}`);
    }
    if (verbose)
      process.stdout.write(
        `  ${c.padEnd(28)} ${row.join('  ')}  (${toSet(d.reasonLines).size} found, ${toSet(withPass).size} not in pass.log)\n`,
      );
  }
  for (const key of ['gt', 'gt2', 'gtPass', 'gt2Pass'] as const) {
    const { p, r, f } = sums[key];
    const [mp, mr, mf] = [p, r, f].map((x) => (x / cases.length).toFixed(3));
    process.stdout.write(
      `  ${key.startsWith('gt2') ? 'groundtruth2' : 'groundtruth '}${key.endsWith('Pass') ? ' minus lines also in pass.log' : ' from fail.log alone         '}: mean precision ${mp}, mean recall ${mr}, mean F1 ${mf}\n`,
    );
  }
}

function reportSpeed(dir: string): void {
  const logs = path.join(dir, 'bump', 'logs');
  const sample = readMaybeGzip(path.join(logs, fs.readdirSync(logs).sort()[0] as string));
  const lines = splitLines(sample);
  const downloads = lines.filter((l) => l.includes('Download'));
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < 10_000_000; i++) {
    const line = downloads[i % downloads.length] as string;
    parts.push(line);
    size += line.length + 1;
  }
  const text = `${parts.join('\n')}\n${sample}`;
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = process.hrtime.bigint();
    diagnose(text);
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(
    `\nSpeed: ${(text.length / 1e6).toFixed(1)} MB synthetic log (${parts.length} download lines, then a real failure): median ${(times[2] as number).toFixed(3)} s over 5 runs (min ${(times[0] as number).toFixed(3)} s)\n`,
  );
}

function main(): void {
  const dir = dataDir();
  if (!fs.existsSync(path.join(dir, 'bump')) || !fs.existsSync(path.join(dir, 'cidiff'))) {
    process.stderr.write(`no CI data at ${dir} (bump/, cidiff/): set HOMEOSTAT_CI_DIR or pass --data DIR\n`);
    process.exitCode = 1;
    return;
  }
  const verbose = process.argv.includes('--verbose');
  const flag = process.argv.indexOf('--half');
  const only = flag >= 0 ? process.argv[flag + 1] : undefined;
  const started = process.hrtime.bigint();
  reportBump(bump(dir), verbose, only);
  reportCidiff(dir, verbose);
  reportSpeed(dir);
  process.stdout.write(`\n(${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s in all)\n`);
}

main();
