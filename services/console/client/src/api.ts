/** The control API from the page: same origin, the session cookie carries the token. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const m = typeof parsed === 'object' && parsed !== null && 'message' in parsed ? (parsed as { message: unknown }).message : text;
    const message = Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : JSON.stringify(m);
    if (res.status === 401) window.dispatchEvent(new CustomEvent('homeostat:unauthorized'));
    throw new ApiError(res.status, `${res.status}: ${message}`);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};
