/**
 * People's commands from the terminal: they go through the control API (the console service),
 * like the web UI's, so every one is recorded on loop.control with its actor.
 */
export interface ControlOptions {
  api?: string;
  reason?: string;
  actor?: string;
}

export function apiBase(options: { api?: string }): string {
  return (options.api ?? process.env['HOMEOSTAT_API_URL'] ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
}

function actorOf(options: ControlOptions): string {
  return options.actor ?? process.env['HOMEOSTAT_ACTOR'] ?? process.env['USER'] ?? 'cli';
}

export async function callApi(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    // With access control on (CONSOLE_TOKENS), the console wants a token; its owner is the actor.
    const token = process.env['HOMEOSTAT_API_TOKEN'];
    res = await fetch(`${base}/api${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new Error(
      `cannot reach the control API at ${base} (is \`homeostat start\` running? set --api or HOMEOSTAT_API_URL): ${String(error)}`,
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  if (!res.ok) {
    const message =
      typeof parsed === 'object' && parsed !== null && 'message' in parsed
        ? JSON.stringify((parsed as { message: unknown }).message)
        : text;
    throw new Error(`${method} ${path}: ${res.status} ${message}`);
  }
  return parsed;
}

async function send(path: string, body: Record<string, unknown>, options: ControlOptions): Promise<void> {
  const result = (await callApi(apiBase(options), 'POST', path, {
    ...body,
    reason: options.reason ?? 'no reason given',
    actor: actorOf(options),
  })) as { command: string; eventId: string };
  process.stdout.write(`${result.command} accepted (event ${result.eventId})\n`);
}

export const approveCommand = (decisionId: string, options: ControlOptions) =>
  send(`/decisions/${encodeURIComponent(decisionId)}/approve`, {}, options);
export const rejectCommand = (decisionId: string, options: ControlOptions) =>
  send(`/decisions/${encodeURIComponent(decisionId)}/reject`, {}, options);
export const pauseCommand = (loop: string, options: ControlOptions) => send(`/loops/${encodeURIComponent(loop)}/pause`, {}, options);
export const resumeCommand = (loop: string, options: ControlOptions) => send(`/loops/${encodeURIComponent(loop)}/resume`, {}, options);
export const killSwitchCommand = (state: string, options: ControlOptions & { loop?: string }) => {
  if (state !== 'on' && state !== 'off') throw new Error(`kill-switch takes on or off, not ${state}`);
  return send('/kill-switch', { on: state === 'on', ...(options.loop ? { loop: options.loop } : {}) }, options);
};
