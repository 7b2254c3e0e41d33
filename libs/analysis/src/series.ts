/** One value of one series at one time: what the detectors consume. */
export interface SeriesPoint {
  /** The target the series belongs to (resource service.name). */
  service: string;
  /** e.g. `http.server.request.rate`, `db.client.connection.count`, `log.template.count` */
  name: string;
  labels: Record<string, string>;
  timestampMs: number;
  value: number;
}

/** A stable identity for a series: service, name and sorted labels. */
export function seriesKey(p: Pick<SeriesPoint, 'service' | 'name' | 'labels'>): string {
  const labels = Object.keys(p.labels)
    .sort()
    .map((k) => `${k}=${p.labels[k]}`)
    .join(',');
  return `${p.service}|${p.name}|${labels}`;
}

/** Names of the series derived from spans and logs. */
export const DERIVED = {
  requestRate: 'span.request.rate',
  errorRate: 'span.error.ratio',
  latencyP95: 'span.duration.p95',
  logTemplateRate: 'log.template.rate',
} as const;
