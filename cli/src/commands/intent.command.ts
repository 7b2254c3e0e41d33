import { formatSpecError, readIntentFile } from '@homeostat/contracts';
import { generateGatewayConfig, type GatewayConfig } from '@homeostat/optimize';

export interface IntentCommandOptions {
  explain?: boolean;
  apply?: string;
}

/** What the gateway's actuator answered to the PUT. */
export interface ApplyResult {
  status: number;
  body: unknown;
}

/**
 * Puts a whole config live on a running gateway: `PUT <url>/actuator/config?mode=replace`, with an
 * Idempotency-Key so that a repeat of this very call (a network retry) is applied once.
 */
export async function applyGatewayConfig(baseUrl: string, config: GatewayConfig, idempotencyKey: string): Promise<ApplyResult> {
  let url: URL;
  try {
    url = new URL('/actuator/config?mode=replace', baseUrl);
  } catch {
    throw new Error(`--apply needs the gateway's base URL, e.g. http://127.0.0.1:8000; got "${baseUrl}"`);
  }
  const res = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(config),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

/**
 * `homeostat intent <file>`: the gateway config generated from an intent, as JSON on stdout;
 * `--explain` prints the reason for each knob instead; `--apply URL` also puts it live.
 */
export async function intentCommand(file: string, options: IntentCommandOptions): Promise<void> {
  const parsed = await readIntentFile(file);
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`${formatSpecError(e)}\n`);
    process.exitCode = 1;
    return;
  }
  const { config, reasons } = generateGatewayConfig(parsed.intent);
  if (options.explain) {
    for (const r of reasons) process.stdout.write(`${r.path}  ${JSON.stringify(r.value)}\n    ${r.why}\n`);
  } else {
    process.stdout.write(JSON.stringify(config, null, 2) + '\n');
  }
  if (options.apply) {
    const key = `homeostat-intent-${parsed.intent.metadata.name}-${Date.now()}`;
    const result = await applyGatewayConfig(options.apply, config, key);
    const body = result.body as { version?: number; message?: string } | string;
    if (result.status === 200 && typeof body === 'object' && typeof body.version === 'number') {
      process.stderr.write(`applied: ${options.apply} is at config version ${body.version}\n`);
    } else {
      const message = typeof body === 'object' && body.message ? body.message : JSON.stringify(body);
      process.stderr.write(`not applied: ${options.apply} answered ${result.status}: ${message}\n`);
      process.exitCode = 1;
    }
  }
}
