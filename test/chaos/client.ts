import { readFileSync } from 'node:fs';

/** The OTel exporters' default timeout: an answer later than this is a hang to the client. */
export const EXPORTER_TIMEOUT_MS = 10_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** What a client saw: every answer by status (0 = no answer in time, -1 = connection closed without one). */
export class Answers {
  requests = 0;
  readonly byStatus = new Map<number, number>();
  /** 5xx other than 503 (503 with Retry-After is the collector's way to say "later"). */
  fiveHundreds = 0;
  hangs = 0;
  readonly examples: string[] = [];
  /** Connections closed with no answer (a server may close on a request it refuses while the body is still sent). */
  readonly closed: string[] = [];
  /** The slowest answer: its time and what it was. */
  slowest = { ms: 0, what: '' };

  count(status: number, what: string, ms = 0): void {
    this.requests++;
    if (ms > this.slowest.ms) this.slowest = { ms, what: `${status}: ${what.slice(0, 120)}` };
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (status === 0) this.hangs++;
    if (status === -1 && this.closed.length < 3) this.closed.push(what.slice(0, 200));
    if (status >= 500 && status !== 503) this.fiveHundreds++;
    if ((status === 0 || (status >= 500 && status !== 503)) && this.examples.length < 10)
      this.examples.push(`${status || 'no answer'}: ${what}`);
  }

  summary(): string {
    return [...this.byStatus]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s > 0 ? s : s < 0 ? 'closed' : 'timeout'}×${n}`)
      .join(', ');
  }
}

export interface Answer {
  status: number;
  retryAfter: number;
  ms: number;
  body: string;
}

/** One request; the body is read in full (an event stream only up to its headers). */
export async function request(
  url: string,
  init: { method?: string; body?: Buffer; headers?: Record<string, string> },
  timeoutMs = EXPORTER_TIMEOUT_MS,
): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: init.method ?? 'POST',
      body: init.body,
      headers: init.headers,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    let body = '';
    if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) await res.body?.cancel();
    else body = Buffer.from(await res.arrayBuffer()).toString('utf8');
    return { status: res.status, retryAfter: Number(res.headers.get('retry-after') ?? 0), ms: Date.now() - started, body };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? `${(error.cause as { code?: string }).code ?? ''} ${error.cause.message}`
        : '';
    return { status: timedOut ? 0 : -1, retryAfter: 0, ms: Date.now() - started, body: cause };
  }
}

/** An OTLP/JSON traces request of `count` spans numbered from `first + 1` (span id = the number in hex). */
export function spansRequest(first: number, count: number, serviceName: string): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: hex(first + i + 1, 32),
    spanId: hex(first + i + 1, 16),
    name: 'GET /chaos',
    kind: 2,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 1_000_000n),
    attributes: [{ key: 'http.route', value: { stringValue: '/chaos' } }],
    status: {},
  }));
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
          scopeSpans: [{ scope: { name: 'chaos' }, spans }],
        },
      ],
    }),
  );
}

/**
 * A client that sends numbered spans as OTel exporters do: each batch again after Retry-After (or
 * 1 s) on 429, 503 or no answer within the timeout, until it is acknowledged (200).
 */
export class SpanClient {
  readonly acknowledged = new Set<number>();
  readonly answers = new Answers();
  sent = 0;

  constructor(
    private readonly collector: () => string,
    private readonly service: string,
    private readonly batch: number,
  ) {}

  async send(first: number): Promise<void> {
    const body = spansRequest(first, this.batch, this.service);
    this.sent += this.batch;
    for (let attempt = 0; attempt < 30; attempt++) {
      const r = await request(`${this.collector()}/v1/traces`, { body, headers: { 'content-type': 'application/json' } });
      this.answers.count(r.status, `POST /v1/traces (batch from ${first})`);
      if (r.status === 200) {
        for (let i = 0; i < this.batch; i++) this.acknowledged.add(first + i + 1);
        return;
      }
      if (r.status > 0 && r.status !== 429 && r.status !== 503) return;
      await sleep(Math.max(1, r.retryAfter) * 1000);
    }
  }
}

/** Resident set size of a process in MB (NaN when it is gone). */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return Math.round(Number(line?.replace(/\D+/g, '') ?? 0) / 1024);
  } catch {
    return Number.NaN;
  }
}
