import type { DemoReport } from './report';

const s = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} s`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The per-incident table and the summary, as the demo prints them. */
export function formatReport(report: DemoReport): string {
  const incidents = table(
    ['#', 'fault', 'n', 'fingerprint', 'actions tried', 'detect', 'act', 'recover', 'resolved'],
    report.rows.map((r) => [
      String(r.index),
      r.fault,
      String(r.occurrence),
      r.fingerprint === null ? '-' : `${r.fingerprint}${r.relapse ? ' (relapse)' : ''}`,
      r.actions.length > 0 ? r.actions.join(' → ') : (r.problem ?? '-'),
      s(r.timeToDetectS),
      s(r.timeToActS),
      r.recovered ? s(r.timeToRecoverS) : 'NOT RECOVERED',
      s(r.timeToResolveS),
    ]),
  );
  const { summary } = report;
  const kinds = table(
    ['fault', 'incidents', 'recovered', 'best action', 'MTTR first', 'MTTR last', 'fingerprints'],
    summary.perKind.map((k) => [
      k.fault,
      String(k.incidents),
      String(k.recovered),
      k.bestAction ?? '-',
      s(k.firstTimeToRecoverS),
      s(k.lastTimeToRecoverS),
      String(k.fingerprints.length),
    ]),
  );
  const rate = summary.bestActionRate;
  const lines = [
    incidents,
    '',
    kinds,
    '',
    `recovered: ${summary.recovered}/${summary.incidents}`,
    `best action first, after the first ${rate.afterOccurrences} of each kind: ${rate.rate === null ? '-' : `${(rate.rate * 100).toFixed(0)} %`} (${rate.hits}/${rate.of})`,
    `fault → first action: p50 ${s(summary.faultToAction.p50)}, p90 ${s(summary.faultToAction.p90)} (n=${summary.faultToAction.n})`,
    `fault → recovered:    p50 ${s(summary.faultToRecovery.p50)}, p90 ${s(summary.faultToRecovery.p90)} (n=${summary.faultToRecovery.n})`,
    "Times are from the fault's injection: detect = incident opened, act = first action started, recover = verification passed, resolved = signals back to baseline.",
  ];
  return lines.join('\n');
}
