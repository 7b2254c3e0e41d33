import { metricValue, parseAdjacencyMatrix, parseIssueTarget, parseMetricTable, RcaInputError } from './metric-table';

const header = (nodes: string[], metrics: string[], statistics: string[]): string =>
  [
    `microservice,${nodes.join(',')}`,
    `metric,${metrics.join(',')}`,
    `statistic,${statistics.join(',')}`,
    `unix_timestamp${','.repeat(nodes.length)}`,
  ].join('\n');

function errorOf(f: () => unknown): RcaInputError {
  try {
    f();
  } catch (err) {
    if (err instanceof RcaInputError) return err;
    throw err;
  }
  throw new Error('expected an RcaInputError');
}

describe('parseMetricTable', () => {
  it('reads the 4-line header and matches columns by node, metric and statistic, whatever their order', () => {
    const a = parseMetricTable(
      `${header(['web', 'db', 'web'], ['latency', 'latency', 'requests'], ['Average', 'Average', 'Sum'])}\n1681350000.0,0.1,0.02,480\n1681350300.0,0.2,0.03,470\n`,
    );
    const b = parseMetricTable(
      `${header(['db', 'web', 'web'], ['latency', 'requests', 'latency'], ['Average', 'Sum', 'Average'])}\n1681350000.0,0.02,480,0.1\n1681350300.0,0.03,470,0.2\n`,
    );
    for (const t of [a, b]) {
      expect(t.timestamps).toEqual([1681350000, 1681350300]);
      expect(metricValue(t, { node: 'web', metric: 'latency', statistic: 'Average' }, 1)).toBe(0.2);
      expect(metricValue(t, { node: 'web', metric: 'requests', statistic: 'Sum' }, 0)).toBe(480);
      expect(metricValue(t, { node: 'db', metric: 'latency', statistic: 'Average' }, 0)).toBe(0.02);
      expect([...t.nodes].sort()).toEqual(['db', 'web']);
    }
    expect(metricValue(a, { node: 'web', metric: 'latency', statistic: 'p99' }, 0)).toBeNaN();
  });

  it('reads an empty field as missing data, quoted names with commas, CRLF and a BOM', () => {
    const text = `\uFEFF${header(['"a,b"', 'c'], ['latency', 'latency'], ['Average', 'Average'])}\r\n1,,0.5\r\n2,0.25,\r\n`;
    const t = parseMetricTable(text);
    expect(t.columns.get('a,b\u0000latency\u0000Average')).toEqual([NaN, 0.25]);
    expect(t.columns.get('c\u0000latency\u0000Average')).toEqual([0.5, NaN]);
  });

  it('refuses what it cannot read, saying where', () => {
    const h = header(['a', 'b'], ['latency', 'latency'], ['Average', 'Average']);
    expect(errorOf(() => parseMetricTable('')).code).toBe('RCA_EMPTY');
    expect(errorOf(() => parseMetricTable(h)).message).toBe('metrics: no data rows after the 4 header lines');
    expect(errorOf(() => parseMetricTable('microservice,a\nmetric,latency\n', 'x.csv')).message).toMatch(/x\.csv: expected 4 header lines/);
    expect(errorOf(() => parseMetricTable(h.replace('statistic,', 'stat,'))).message).toMatch(
      /header line 3 should start with "statistic"/,
    );
    expect(errorOf(() => parseMetricTable(`${h}\n1,NaN,2\n`, 'm.csv')).message).toBe(
      'm.csv:5: column 2 (a latency Average) is "NaN", not a number',
    );
    expect(errorOf(() => parseMetricTable(`${h}\n1,0.1\n`, 'm.csv')).message).toBe('m.csv:5: 2 fields, the header has 3');
    expect(errorOf(() => parseMetricTable(`${h}\nnow,0.1,0.2\n`)).code).toBe('RCA_BAD_VALUE');
    const dup = header(['a', 'a'], ['latency', 'latency'], ['Average', 'Average']);
    expect(errorOf(() => parseMetricTable(`${dup}\n1,1,2\n`)).code).toBe('RCA_DUPLICATE_COLUMN');
  });
});

describe('parseAdjacencyMatrix', () => {
  it('reads row A, column B = 1 as A calls B, matching rows to columns by name', () => {
    const g = parseAdjacencyMatrix(',web,api,db\ndb,0.0,0.0,0.0\nweb,0.0,1.0,0.0\napi,0.0,0.0,1.0\n');
    expect(g.nodes).toEqual(['web', 'api', 'db']);
    expect(g.edges).toEqual([
      ['web', 'api'],
      ['api', 'db'],
    ]);
  });

  it('refuses a matrix that is not one', () => {
    expect(errorOf(() => parseAdjacencyMatrix('')).code).toBe('RCA_EMPTY');
    expect(errorOf(() => parseAdjacencyMatrix(',a,b\na,0,1\n', 'g.csv')).message).toBe('g.csv: no row for b');
    expect(errorOf(() => parseAdjacencyMatrix(',a,b\na,0,2\nb,0,0\n', 'g.csv')).message).toBe('g.csv:2: a → b is "2", expected 1 or 0');
    expect(errorOf(() => parseAdjacencyMatrix(',a,b\nc,0,0\nb,0,0\n')).message).toMatch(/row "c" is not a node/);
  });
});

describe('parseIssueTarget', () => {
  it('reads the target and nothing else', () => {
    const text = JSON.stringify({
      target: { node: 'PetSite', metric: 'latency', agg: 'Average', timestamp: 1681350548 },
      root_cause: { node: 'secret', metric: null },
    });
    expect(parseIssueTarget(text)).toEqual({ node: 'PetSite', metric: 'latency', statistic: 'Average', timestamp: 1681350548 });
  });

  it('says what is missing', () => {
    expect(errorOf(() => parseIssueTarget('{')).message).toMatch(/^target\.json: not JSON/);
    expect(errorOf(() => parseIssueTarget('{}')).message).toBe('target.json: no "target" object');
    expect(errorOf(() => parseIssueTarget('{"target":{"node":"a","metric":"latency","agg":"Average"}}')).message).toMatch(/timestamp/);
  });
});
