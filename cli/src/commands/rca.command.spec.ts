import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rankIssues, rcaCommand } from './rca.command';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rca-spec-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

const T0 = 1_681_350_000;
const NODES = ['web', 'api', 'db'];

function write(rel: string, text: string): string {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** A metrics CSV with latency Average for each node; `value(node, row)` gives the cell text. */
function metrics(rows: number, start: number, value: (node: string, row: number) => string, nodes = NODES): string {
  const lines = [
    `microservice,${nodes.join(',')}`,
    `metric,${nodes.map(() => 'latency').join(',')}`,
    `statistic,${nodes.map(() => 'Average').join(',')}`,
    `unix_timestamp${','.repeat(nodes.length)}`,
  ];
  for (let r = 0; r < rows; r++) lines.push(`${start + r * 300}.0,${nodes.map((n) => value(n, r)).join(',')}`);
  return `${lines.join('\n')}\n`;
}

const LEVEL: Record<string, number> = { web: 0.1, api: 0.05, db: 0.02 };
const normalText = (): string => metrics(100, T0 - 100 * 300, (n, r) => String(LEVEL[n]! * (1 + 0.02 * Math.sin(r * 7 + n.length))));
/** db slows down by 0.5 s from the alarm (second row) on; its callers by as much. */
const slowDb = (): string => metrics(5, T0, (n, r) => String(LEVEL[n]! + (r >= 1 ? 0.5 : 0)));
const target = (extra: object = {}): string =>
  JSON.stringify({ target: { node: 'web', metric: 'latency', agg: 'Average', timestamp: T0 + 340 }, ...extra });

function setUp(): { graph: string; normal: string } {
  return {
    graph: write('graph.csv', ',web,api,db\nweb,0.0,1.0,0.0\napi,0.0,0.0,1.0\ndb,0.0,0.0,0.0\n'),
    normal: write('noissue/metrics.csv', normalText()),
  };
}

describe('homeostat rca', () => {
  it('writes <out-dir>/<issue dir name>.json with the ranking, the deepest anomalous service first', async () => {
    const { graph, normal } = setUp();
    write('issues/issue_0/metrics.csv', slowDb());
    // The known answer, when a file has one, is not read: it names a node that is not even a candidate.
    write('issues/issue_0/target.json', target({ root_cause: { node: 'elsewhere', metric: null } }));
    const outDir = path.join(dir, 'out');
    const { results, failures } = await rankIssues([path.join(dir, 'issues/issue_0')], { graph, normal, outDir });
    expect(failures).toEqual([]);
    const written = JSON.parse(fs.readFileSync(path.join(outDir, 'issue_0.json'), 'utf8')) as {
      ranking: Array<{ node: string; score: number }>;
    };
    expect(written).toEqual({ ranking: results[0]!.ranking });
    expect(written.ranking[0]!.node).toBe('db');
    expect(written.ranking.map((r) => r.node).sort()).toEqual(['api', 'db', 'web']);
    expect(written.ranking.reduce((s, r) => s + r.score, 0)).toBeCloseTo(1, 5);
  });

  it('ranks without a normal file from the rows before the alarm', async () => {
    const { graph } = setUp();
    write('i/metrics.csv', slowDb());
    write('i/target.json', target());
    const { results } = await rankIssues([path.join(dir, 'i')], { graph, outDir: path.join(dir, 'out') });
    expect(results[0]!.ranking[0]!.node).toBe('db');
  });

  it('reports each bad issue on stderr with what is wrong, ranks the others and exits 1', async () => {
    const { graph, normal } = setUp();
    const good = path.join(dir, 'good');
    write('good/metrics.csv', slowDb());
    write('good/target.json', target());
    const cases: Record<string, [string | null, string | null]> = {
      empty: ['', target()],
      nan: [slowDb().replace(/\n(\d+\.0),[^,]*,/, '\n$1,NaN,'), target()],
      ghost: [metrics(5, T0, () => '0.1', ['web', 'ghost']), target()],
      nocolumn: [metrics(5, T0, () => '0.1', ['api', 'db']), target()],
      notarget: [slowDb(), null],
      nometrics: [null, target()],
    };
    for (const [name, [m, t]] of Object.entries(cases)) {
      fs.mkdirSync(path.join(dir, name), { recursive: true });
      if (m !== null) write(`${name}/metrics.csv`, m);
      if (t !== null) write(`${name}/target.json`, t);
    }
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const outDir = path.join(dir, 'out');
    try {
      await rcaCommand([...Object.keys(cases).map((c) => path.join(dir, c)), good], { graph, normal, outDir });
    } finally {
      stdout.mockRestore();
    }
    const errors = stderr.mock.calls.map((c) => String(c[0]));
    stderr.mockRestore();
    const at = (name: string): string => path.join(dir, name);
    expect(errors).toEqual([
      `error: ${at('empty/metrics.csv')}: empty file\n`,
      `error: ${at('nan/metrics.csv')}:5: column 2 (web latency Average) is "NaN", not a number\n`,
      `error: ${at('ghost')}: the issue metrics name node(s) not in the graph: ghost\n`,
      `error: ${at('nocolumn')}: the issue metrics have no column web latency Average\n`,
      `error: ${at('notarget')}: no target.json\n`,
      `error: ${at('nometrics')}: no metrics.csv\n`,
    ]);
    expect(process.exitCode).toBe(1);
    expect(fs.readdirSync(outDir)).toEqual(['good.json']);
  });

  it('stops when the graph cannot be read: every answer depends on it', async () => {
    write('i/metrics.csv', slowDb());
    write('i/target.json', target());
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await rcaCommand([path.join(dir, 'i')], { graph: path.join(dir, 'missing.csv'), outDir: path.join(dir, 'out') });
    expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual([
      `error: cannot read the graph (${path.join(dir, 'missing.csv')}): ENOENT\n`,
    ]);
    stderr.mockRestore();
    expect(process.exitCode).toBe(1);
  });
});
