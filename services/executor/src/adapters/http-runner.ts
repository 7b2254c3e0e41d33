import type { ActionRequest, ActionResponse } from '@homeostat/execution';

export type Fetch = typeof fetch;

const BODY_EXCERPT = 300;

/**
 * Sends one request with a hard timeout; the target accepted it when the status says so. Never
 * throws: a network error or a timeout is a response not accepted, so the caller has one shape
 * to report.
 */
export async function sendRequest(request: ActionRequest, fetchFn: Fetch = fetch, now: () => number = Date.now): Promise<ActionResponse> {
  const started = now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), request.timeoutMs);
  try {
    const res = await fetchFn(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: abort.signal,
      redirect: 'manual',
    });
    const text = (await res.text()).slice(0, BODY_EXCERPT);
    const accepted = request.expectStatus !== undefined ? res.status === request.expectStatus : res.status >= 200 && res.status < 300;
    const expected = request.expectStatus !== undefined ? String(request.expectStatus) : '2xx';
    return {
      accepted,
      status: res.status,
      latencyMs: now() - started,
      detail: `${request.method} ${request.url} -> ${res.status}${accepted ? '' : ` (expected ${expected})`}${text ? `: ${text}` : ''}`,
    };
  } catch (error) {
    const reason = abort.signal.aborted ? `no response within ${request.timeoutMs} ms` : describeFetchError(error);
    return { accepted: false, latencyMs: now() - started, detail: `${request.method} ${request.url} failed: ${reason}` };
  } finally {
    clearTimeout(timer);
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
