/**
 * What idempotent telemetry (migration 0008: ReplacingMergeTree keyed on the record's identity)
 * costs against the exporter's plain MergeTree: insert throughput of the same span rows into
 * both, interleaved so that load on the machine hits both alike, and the read cost of FINAL on
 * a count and on the learner's per-bucket series query. chDB in this process, one database
 * under the system temp dir, dropped at the end.
 *
 *   npm run bench:dedup             (BENCH_ROWS per insert, BENCH_INSERTS to vary)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoreClient, runMigrations } from '../src/index';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 20_000);
const INSERTS = Number(process.env['BENCH_INSERTS'] ?? 10);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-dedup-bench-'));
  const store = await createStoreClient({ dataDir: dir, database: 'dedup_bench' });
  try {
    await runMigrations(store);
    await store.client.command({
      query:
        'CREATE TABLE plain_traces AS otel_traces ENGINE = MergeTree PARTITION BY toDate(Timestamp) ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))',
    });
    const base = Date.UTC(2026, 0, 1);
    let seq = 0;
    const rows = (): Record<string, unknown>[] =>
      Array.from({ length: ROWS }, () => {
        const i = seq++;
        return {
          Timestamp: new Date(base + i).toISOString().replace('T', ' ').replace('Z', ''),
          TraceId: (i >> 3).toString(16).padStart(32, '0'),
          SpanId: i.toString(16).padStart(16, '0'),
          SpanName: `GET /r${i % 20}`,
          SpanKind: 'Server',
          ServiceName: `svc${i % 5}`,
          Duration: 1000 + (i % 977),
          StatusCode: 'Unset',
          SpanAttributes: { 'http.route': `/r${i % 20}`, 'http.response.status_code': '200' },
          ResourceAttributes: { 'service.name': `svc${i % 5}` },
        };
      });
    const plain: number[] = [];
    const replacing: number[] = [];
    for (let r = 0; r < INSERTS; r++) {
      const values = rows();
      for (const table of r % 2 ? ['plain_traces', 'otel_traces'] : ['otel_traces', 'plain_traces']) {
        const start = process.hrtime.bigint();
        await store.client.insert({ table, values, format: 'JSONEachRow' });
        (table === 'plain_traces' ? plain : replacing).push(ROWS / (Number(process.hrtime.bigint() - start) / 1e9));
      }
    }
    process.stdout.write(`dedup bench: ${INSERTS} inserts × ${ROWS} spans into each table (median of the inserts)\n`);
    process.stdout.write(`insert  MergeTree (exporter layout)          ${Math.round(median(plain)).toLocaleString('en')} spans/s\n`);
    process.stdout.write(`insert  ReplacingMergeTree (migration 0008)  ${Math.round(median(replacing)).toLocaleString('en')} spans/s\n`);
    const series = (table: string, final: string): string =>
      `SELECT intDiv(toUnixTimestamp64Milli(Timestamp), 10000) AS t, count() AS n FROM ${table} ${final} WHERE ServiceName = 'svc1' GROUP BY t`;
    for (const [name, sql] of [
      ['count, MergeTree', 'SELECT count() FROM plain_traces'],
      ['count, ReplacingMergeTree FINAL', 'SELECT count() FROM otel_traces FINAL'],
      ['series, MergeTree', series('plain_traces', '')],
      ['series, ReplacingMergeTree FINAL', series('otel_traces', 'FINAL')],
    ] as const) {
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = process.hrtime.bigint();
        await (await store.client.query({ query: sql, format: 'JSONEachRow' })).json();
        ms.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      process.stdout.write(`read    ${name.padEnd(34)} ${median(ms).toFixed(1)} ms (${ROWS * INSERTS} rows)\n`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
