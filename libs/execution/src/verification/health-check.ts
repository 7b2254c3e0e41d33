/**
 * Verification by health check: poll the target's health URL every `interval` until
 * `consecutive` probes in a row return the expected status, or the deadline passes.
 *
 * Time to recover is measured to the *first* probe of the passing streak: that is when the
 * target was seen healthy again; the remaining probes of the streak only confirm that it stayed
 * so. Pure apart from the injected probe, clock and sleep, so it is tested with a fake clock.
 */

export interface HealthCheckPlan {
  url: string;
  expectStatus: number;
  consecutive: number;
  intervalMs: number;
}

/** One probe's result: a status, or an error when there was no response. */
export interface ProbeResult {
  status?: number;
  latencyMs: number;
  error?: string;
}

export interface VerifierClock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type Probe = (url: string, timeoutMs: number) => Promise<ProbeResult>;

export interface VerificationCheck {
  name: string;
  passed: boolean;
  detail?: string;
  observed?: number | string | boolean;
}

export interface HealthCheckResult {
  passed: boolean;
  /** True when the run was cut short (shutdown): no verdict, nothing to report. */
  aborted: boolean;
  checks: VerificationCheck[];
  /** When the passing streak began (epoch ms); null when it never completed. */
  recoveredAtMs: number | null;
  detail: string;
}

/** Kept in an outcome: enough to see the trend, bounded so a long deadline stays one message. */
export const MAX_CHECKS = 50;

export async function verifyHealth(
  plan: HealthCheckPlan,
  deadlineAtMs: number,
  probe: Probe,
  clock: VerifierClock,
  signal?: AbortSignal,
): Promise<HealthCheckResult> {
  const checks: VerificationCheck[] = [];
  let probes = 0;
  let streak = 0;
  let streakStartMs = 0;
  const firstMs = clock.now();
  const result = (passed: boolean, detail: string, aborted = false): HealthCheckResult => ({
    passed,
    aborted,
    checks: checks.slice(-MAX_CHECKS),
    recoveredAtMs: passed ? streakStartMs : null,
    detail: `${detail} (${probes} probe${probes === 1 ? '' : 's'} of ${plan.url}${checks.length > MAX_CHECKS ? `, the last ${MAX_CHECKS} listed` : ''})`,
  });

  for (;;) {
    if (signal?.aborted) return result(false, 'verification interrupted', true);
    const at = clock.now();
    if (at >= deadlineAtMs) break;
    const r = await probe(plan.url, Math.max(1, Math.min(plan.intervalMs, deadlineAtMs - at)));
    probes++;
    const passed = r.status === plan.expectStatus;
    checks.push({
      name: 'health-check',
      passed,
      observed: r.status ?? 'no response',
      detail: `probe ${probes} at +${at - firstMs} ms: ${r.status ?? r.error ?? 'no response'} in ${r.latencyMs} ms (expected ${plan.expectStatus})`,
    });
    if (passed) {
      if (streak === 0) streakStartMs = at;
      streak++;
      if (streak >= plan.consecutive) return result(true, `healthy: ${plan.consecutive} consecutive ${plan.expectStatus}`);
    } else {
      streak = 0;
    }
    const next = at + plan.intervalMs;
    if (next >= deadlineAtMs) break;
    await clock.sleep(Math.max(0, next - clock.now()), signal);
  }
  return result(
    false,
    `not healthy by the deadline: needed ${plan.consecutive} consecutive ${plan.expectStatus}, the last streak was ${streak}`,
  );
}

export const realClock: VerifierClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** A probe over HTTP with global fetch; any response is a result, no response is an error. */
export function httpProbe(fetchFn: typeof fetch = fetch): Probe {
  return async (url, timeoutMs) => {
    const started = Date.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const res = await fetchFn(url, { signal: abort.signal, redirect: 'manual' });
      await res.arrayBuffer();
      return { status: res.status, latencyMs: Date.now() - started };
    } catch (error) {
      return {
        latencyMs: Date.now() - started,
        error: abort.signal.aborted ? `timeout after ${timeoutMs} ms` : error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  };
}
