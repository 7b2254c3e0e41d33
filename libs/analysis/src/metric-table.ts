import { parse } from 'csv-parse/sync';

/**
 * Recorded metrics and a given call graph, as a system other than ours exports them: the text
 * formats `homeostat rca` reads (the PetShop dataset's). Parsing is pure (text in, data out); the
 * caller reads the files. Every problem is an `RcaInputError` whose message says where and what.
 */
export type RcaInputErrorCode =
  | 'RCA_EMPTY'
  | 'RCA_BAD_HEADER'
  | 'RCA_BAD_ROW'
  | 'RCA_BAD_VALUE'
  | 'RCA_DUPLICATE_COLUMN'
  | 'RCA_BAD_GRAPH'
  | 'RCA_BAD_TARGET'
  | 'RCA_MISSING_COLUMN'
  | 'RCA_UNKNOWN_NODE';

export class RcaInputError extends Error {
  constructor(
    readonly code: RcaInputErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RcaInputError';
  }
}

/** One column of a metric table: a node's metric under one statistic. */
export interface MetricSeriesId {
  node: string;
  metric: string;
  statistic: string;
}

/** The key of a column: columns are matched by (node, metric, statistic), never by position. */
export function metricSeriesKey({ node, metric, statistic }: MetricSeriesId): string {
  return `${node}\u0000${metric}\u0000${statistic}`;
}

export interface MetricTable {
  /** Each row's interval start, Unix seconds, in file order. */
  readonly timestamps: readonly number[];
  /** By `metricSeriesKey`: one value per row; NaN where the field was empty (no data). */
  readonly columns: ReadonlyMap<string, readonly number[]>;
  /** Every node that has a column. */
  readonly nodes: ReadonlySet<string>;
}

/** The value of a column at a row; NaN when the column is absent or the field was empty. */
export function metricValue(table: MetricTable, series: MetricSeriesId, row: number): number {
  return table.columns.get(metricSeriesKey(series))?.[row] ?? Number.NaN;
}

const HEADER_NAMES = ['microservice', 'metric', 'statistic'] as const;

function parseRows(text: string, what: string): string[][] {
  try {
    return parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (err) {
    throw new RcaInputError('RCA_BAD_ROW', `${what}: not CSV: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A metrics table with a three-level column header, as pandas writes one: line 1 names each
 * column's node (`microservice,<node>,…`), line 2 its metric, line 3 its statistic, line 4 the
 * index's name (`unix_timestamp`, no data); then one line per interval: its start (Unix seconds)
 * and the values. An empty field is missing data; any other field that is not a finite number
 * (text, `NaN`, `inf`) is an error, as is a row with a different number of fields.
 */
export function parseMetricTable(text: string, what = 'metrics'): MetricTable {
  const rows = parseRows(text, what);
  const [nodeLine, metricLine, statisticLine, indexLine, ...data] = rows;
  if (nodeLine === undefined) throw new RcaInputError('RCA_EMPTY', `${what}: empty file`);
  if (metricLine === undefined || statisticLine === undefined || indexLine === undefined) {
    throw new RcaInputError(
      'RCA_BAD_HEADER',
      `${what}: expected 4 header lines (microservice, metric, statistic, index name), got ${rows.length} line(s)`,
    );
  }
  const width = nodeLine.length;
  [nodeLine, metricLine, statisticLine].forEach((line, i) => {
    const name = HEADER_NAMES[i] ?? '';
    if (line[0]?.toLowerCase() !== name) {
      throw new RcaInputError(
        'RCA_BAD_HEADER',
        `${what}: header line ${i + 1} should start with "${name}", starts with "${line[0] ?? ''}"`,
      );
    }
    if (line.length !== width) {
      throw new RcaInputError('RCA_BAD_HEADER', `${what}: header line ${i + 1} has ${line.length} fields, line 1 has ${width}`);
    }
  });
  if (width < 2) throw new RcaInputError('RCA_BAD_HEADER', `${what}: no metric columns`);
  if (indexLine.slice(1).some((f) => f !== '')) {
    throw new RcaInputError('RCA_BAD_HEADER', `${what}: line 4 should name the index column only (e.g. "unix_timestamp,,,"), has values`);
  }

  const columns: Array<{ key: string; name: string; values: number[] }> = [];
  const seen = new Map<string, number>();
  const nodes = new Set<string>();
  for (let c = 1; c < width; c++) {
    const id = { node: nodeLine[c] ?? '', metric: metricLine[c] ?? '', statistic: statisticLine[c] ?? '' };
    if (!id.node || !id.metric || !id.statistic) {
      throw new RcaInputError('RCA_BAD_HEADER', `${what}: column ${c + 1} lacks a node, metric or statistic name`);
    }
    const key = metricSeriesKey(id);
    const name = `${id.node} ${id.metric} ${id.statistic}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new RcaInputError('RCA_DUPLICATE_COLUMN', `${what}: columns ${earlier + 1} and ${c + 1} are both ${name}`);
    }
    seen.set(key, c);
    columns.push({ key, name, values: [] });
    nodes.add(id.node);
  }

  if (data.length === 0) throw new RcaInputError('RCA_EMPTY', `${what}: no data rows after the 4 header lines`);
  const timestamps: number[] = [];
  data.forEach(([first = '', ...fields], r) => {
    const line = r + 5;
    if (fields.length !== columns.length) {
      throw new RcaInputError('RCA_BAD_ROW', `${what}:${line}: ${fields.length + 1} fields, the header has ${width}`);
    }
    const ts = Number(first);
    if (first === '' || !Number.isFinite(ts)) {
      throw new RcaInputError('RCA_BAD_VALUE', `${what}:${line}: the timestamp "${first}" is not a number of Unix seconds`);
    }
    timestamps.push(ts);
    columns.forEach((column, i) => {
      const field = fields[i] ?? '';
      const value = field === '' ? Number.NaN : Number(field);
      if (field !== '' && !Number.isFinite(value)) {
        throw new RcaInputError('RCA_BAD_VALUE', `${what}:${line}: column ${i + 2} (${column.name}) is "${field}", not a number`);
      }
      column.values.push(value);
    });
  });
  return { timestamps, columns: new Map(columns.map((c) => [c.key, c.values])), nodes };
}

export interface GivenCallGraph {
  /** Every node the graph names, in file order. */
  nodes: string[];
  /** Caller → callee. */
  edges: Array<[from: string, to: string]>;
}

/**
 * A call graph as an adjacency matrix: the first line and the first column name the nodes; the
 * value in row A, column B is 1 when A calls B (edge A → B), 0 when not. Rows are matched to
 * columns by name.
 */
export function parseAdjacencyMatrix(text: string, what = 'graph'): GivenCallGraph {
  const [header, ...rows] = parseRows(text, what);
  if (header === undefined) throw new RcaInputError('RCA_EMPTY', `${what}: empty file`);
  const columns = header.slice(1);
  const nodes = new Set(columns);
  if (columns.length === 0 || columns.some((n) => n === ''))
    throw new RcaInputError('RCA_BAD_GRAPH', `${what}: line 1 must name every node`);
  if (nodes.size !== columns.length) throw new RcaInputError('RCA_BAD_GRAPH', `${what}: line 1 names a node twice`);
  const rowNodes = new Set<string>();
  const edges: Array<[string, string]> = [];
  rows.forEach((row, r) => {
    const line = r + 2;
    const from = row[0] ?? '';
    if (!nodes.has(from)) throw new RcaInputError('RCA_BAD_GRAPH', `${what}:${line}: row "${from}" is not a node of line 1`);
    if (rowNodes.has(from)) throw new RcaInputError('RCA_BAD_GRAPH', `${what}:${line}: a second row for "${from}"`);
    rowNodes.add(from);
    if (row.length !== columns.length + 1) {
      throw new RcaInputError('RCA_BAD_GRAPH', `${what}:${line}: ${row.length - 1} values, there are ${columns.length} nodes`);
    }
    columns.forEach((to, c) => {
      const value = Number(row[c + 1]);
      if (row[c + 1] === '' || (value !== 0 && value !== 1)) {
        throw new RcaInputError('RCA_BAD_GRAPH', `${what}:${line}: ${from} → ${to} is "${row[c + 1] ?? ''}", expected 1 or 0`);
      }
      if (value === 1) edges.push([from, to]);
    });
  });
  const missing = columns.filter((n) => !rowNodes.has(n));
  if (missing.length > 0) throw new RcaInputError('RCA_BAD_GRAPH', `${what}: no row for ${missing.join(', ')}`);
  return { nodes: columns, edges };
}

/** What an issue's alarm was about: the metric whose objective was violated, and when. */
export interface IssueTarget extends MetricSeriesId {
  /** When the violation was detected, Unix seconds. */
  timestamp: number;
}

/**
 * An issue's `target.json`: `{"target": {"node", "metric", "agg", "timestamp"}, …}`. Only
 * `target` is read; anything else in the file (such as the known answer) is ignored.
 */
export function parseIssueTarget(text: string, what = 'target.json'): IssueTarget {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RcaInputError('RCA_BAD_TARGET', `${what}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const target = (json as { target?: unknown } | null)?.target;
  if (typeof target !== 'object' || target === null) throw new RcaInputError('RCA_BAD_TARGET', `${what}: no "target" object`);
  const t = target as Record<string, unknown>;
  for (const field of ['node', 'metric', 'agg'] as const) {
    if (typeof t[field] !== 'string' || t[field] === '') {
      throw new RcaInputError('RCA_BAD_TARGET', `${what}: target.${field} must be a non-empty string`);
    }
  }
  if (typeof t['timestamp'] !== 'number' || !Number.isFinite(t['timestamp'])) {
    throw new RcaInputError('RCA_BAD_TARGET', `${what}: target.timestamp must be a number (Unix seconds)`);
  }
  return { node: t['node'] as string, metric: t['metric'] as string, statistic: t['agg'] as string, timestamp: t['timestamp'] };
}
