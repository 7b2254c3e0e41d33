import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARDS_DIR = join(__dirname, '../../deploy/grafana/dashboards');
export const DATASOURCE_UID = 'homeostat-clickhouse';
export const PROMETHEUS_UID = 'homeostat-prometheus';
/** Dashboards on Prometheus (Homeostat's own metrics), not ClickHouse: no SQL to run (deploy.spec.ts checks their names). */
export const PROMETHEUS_DASHBOARDS: readonly string[] = ['homeostat.json'];

export interface PanelQuery {
  dashboard: string;
  panel: string;
  panelType: string;
  format: number;
  sql: string;
}

export interface DashboardVariable {
  dashboard: string;
  name: string;
  sql: string;
}

interface Panel {
  title: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ rawSql?: string; expr?: string; format?: number; datasource?: { uid?: string } }>;
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: Array<{ name: string; type: string; query?: string; datasource?: { uid?: string } }> };
}

/** The ClickHouse dashboards (what the SQL checks run); `prometheus: true` for the others. */
export function loadDashboards(options: { prometheus?: boolean } = {}): Array<{ file: string; dashboard: Dashboard }> {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json') && PROMETHEUS_DASHBOARDS.includes(f) === (options.prometheus ?? false))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard }));
}

/** Every panel's SQL (rows included), as the ClickHouse plugin would receive it before its macros. */
export function panelQueries(): PanelQuery[] {
  const out: PanelQuery[] = [];
  const walk = (file: string, panels: Panel[]): void => {
    for (const p of panels) {
      if (p.panels) walk(file, p.panels);
      for (const t of p.targets ?? []) {
        if (t.rawSql === undefined)
          throw new Error(`${file}: panel "${p.title}" has a query without rawSql (only SQL queries are checked)`);
        out.push({ dashboard: file, panel: p.title, panelType: p.type, format: t.format ?? 1, sql: t.rawSql });
      }
    }
  };
  for (const { file, dashboard } of loadDashboards()) walk(file, dashboard.panels);
  return out;
}

export function dashboardVariables(): DashboardVariable[] {
  return loadDashboards().flatMap(({ file, dashboard }) =>
    (dashboard.templating?.list ?? []).map((v) => {
      if (v.type !== 'query' || !v.query) throw new Error(`${file}: variable ${v.name} is not a SQL query variable`);
      return { dashboard: file, name: v.name, sql: v.query };
    }),
  );
}

export interface MacroContext {
  fromMs: number;
  toMs: number;
  intervalSeconds: number;
  variables: Record<string, string>;
}

/**
 * The SQL the ClickHouse data source sends for a panel: its macros (grafana-clickhouse-datasource
 * 4.x, pkg/macros) and the dashboard variables replaced. Anything left that looks like a macro or
 * a variable is an error, so a panel cannot pass with a macro this function does not know.
 */
export function expandMacros(sql: string, ctx: MacroContext): string {
  const from = Math.floor(ctx.fromMs / 1000);
  const to = Math.floor(ctx.toMs / 1000);
  let out = sql
    .replace(
      /\$__timeFilter_ms\(([^)]+)\)/g,
      (_m, c: string) => `${c.trim()} >= fromUnixTimestamp64Milli(${ctx.fromMs}) AND ${c.trim()} <= fromUnixTimestamp64Milli(${ctx.toMs})`,
    )
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} >= toDateTime(${from}) AND ${c.trim()} <= toDateTime(${to})`)
    .replace(/\$__dateFilter\(([^)]+)\)/g, (_m, c: string) => `${c.trim()} >= toDate(${from}) AND ${c.trim()} <= toDate(${to})`)
    .replace(
      /\$__timeInterval_ms\(([^)]+)\)/g,
      (_m, c: string) => `toStartOfInterval(toDateTime64(${c.trim()}, 3), INTERVAL ${ctx.intervalSeconds * 1000} millisecond)`,
    )
    .replace(
      /\$__timeInterval\(([^)]+)\)/g,
      (_m, c: string) => `toStartOfInterval(toDateTime(${c.trim()}), INTERVAL ${ctx.intervalSeconds} second)`,
    )
    .replace(/\$__fromTime_ms\b/g, `fromUnixTimestamp64Milli(${ctx.fromMs})`)
    .replace(/\$__toTime_ms\b/g, `fromUnixTimestamp64Milli(${ctx.toMs})`)
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`)
    .replace(/\$__interval_s\b/g, String(ctx.intervalSeconds));
  out = out.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b) as string;
    if (name.startsWith('__')) return m;
    const value = ctx.variables[name];
    if (value === undefined) throw new Error(`unknown dashboard variable ${m}`);
    return value;
  });
  const left = /\$__\w+|\$\{[^}]*\}/.exec(out);
  if (left) throw new Error(`macro or variable not expanded: ${left[0]}`);
  return out;
}
