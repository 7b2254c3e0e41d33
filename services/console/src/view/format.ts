/** Small formatting helpers shared by the web UI's screens (pure). */

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** "12 s ago", "3 min ago", from ISO time and now (ms). */
export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const d = Math.max(0, now - t);
  if (d < 5_000) return 'just now';
  if (d < 60_000) return `${Math.round(d / 1000)} s ago`;
  if (d < 3_600_000) return `${Math.round(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.round(d / 3_600_000)} h ago`;
  return `${Math.round(d / 86_400_000)} d ago`;
}

export function formatPercent(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${Math.round(x * 100)} %`;
}

export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a >= 100 ? String(Math.round(x)) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}

/** `{route: "GET /checkout"}` → `route=GET /checkout`. */
export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** The tone of a word people scan for: good, bad, waiting or neutral. */
export type Tone = 'ok' | 'bad' | 'warn' | 'info' | '';

export function toneOf(word: string): Tone {
  switch (word) {
    case 'active':
    case 'succeeded':
    case 'resolved':
    case 'approved':
    case 'auto':
      return 'ok';
    case 'kill-switch':
    case 'circuit-open':
    case 'failed':
    case 'rolled-back':
    case 'timed-out':
    case 'rejected':
    case 'critical':
    case 'high':
      return 'bad';
    case 'paused':
    case 'awaiting-approval':
    case 'not-acted-on':
    case 'opened':
    case 'updated':
    case 'propose':
    case 'medium':
      return 'warn';
    case 'running':
    case 'queued':
    case 'dry-run':
    case 'shadow':
      return 'info';
    default:
      return '';
  }
}
