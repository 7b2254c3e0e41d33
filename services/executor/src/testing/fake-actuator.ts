import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: string;
}

/**
 * A stand-in for a target's actuator API on loopback: records every request (with its
 * Idempotency-Key), answers 200 unless a path was told otherwise, serves a /health whose status
 * the test flips, and can hang a path (never answer) to hold the executor mid-action.
 */
export class FakeActuator {
  readonly requests: RecordedRequest[] = [];
  health = 200;
  /** GET /health requests answered so far (verification's probes). */
  healthProbes = 0;
  private readonly statuses = new Map<string, number>();
  private readonly hanging = new Set<string>();
  private readonly held: ServerResponse[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  respond(path: string, status: number): void {
    this.statuses.set(path, status);
  }

  hang(path: string): void {
    this.hanging.add(path);
  }

  calls(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  reset(): void {
    this.requests.length = 0;
    this.statuses.clear();
    this.health = 200;
  }

  async stop(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health') {
      this.healthProbes++;
      res.writeHead(this.health).end(this.health === 200 ? 'ok' : 'unhealthy');
      return;
    }
    const key = req.headers['idempotency-key'];
    this.requests.push({
      method: req.method ?? '',
      path,
      idempotencyKey: Array.isArray(key) ? key[0] : key,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    if (this.hanging.has(path)) {
      this.held.push(res);
      return;
    }
    res.writeHead(this.statuses.get(path) ?? 200, { 'content-type': 'application/json' }).end('{"ok":true}');
  }
}

/** A loop spec whose actions call the fake actuator (by `${EXECUTOR_TEST_ACTUATOR}`, as a real spec would name the shop). */
export function actuatorLoopYaml(actuatorUrl: string, name = 'exec-loop'): string {
  return `
apiVersion: homeostat.dev/v1
kind: Loop
metadata: { name: ${name}, version: 1.0.0 }
spec:
  target: { service: shop }
  signals: [{ kind: metric, name: http.server.request.duration }]
  actions:
    - { name: recycle-pool, adapter: http, params: { method: POST, url: "\${EXECUTOR_TEST_ACTUATOR}/actuator/pool/recycle", body: { decision: "{{decision.id}}" } }, risk: low }
    - { name: raise-limit, adapter: http, params: { method: PUT, url: "\${EXECUTOR_TEST_ACTUATOR}/actuator/config" }, risk: medium, inverse: rollback-config }
    - { name: rollback-config, adapter: http, params: { method: POST, url: "\${EXECUTOR_TEST_ACTUATOR}/actuator/config/rollback" }, risk: low }
    - { name: notify, adapter: webhook, params: { url: "\${EXECUTOR_TEST_ACTUATOR}/hooks/notify" }, risk: low }
    - { name: restart-pod, adapter: kubernetes, params: { deployment: shop }, risk: high }
    - { name: slow-restart, adapter: http, params: { method: POST, url: "\${EXECUTOR_TEST_ACTUATOR}/actuator/restart" }, risk: high, timeoutSeconds: 120 }
  guardrails:
    budget: { maxActions: 100, window: 10m }
    cooldown: 1s
    blastRadius: { maxConcurrent: 4 }
    circuitBreaker: { consecutiveFailures: 3 }
    approval: { aboveRisk: medium }
    dryRun: false
  verification:
    healthCheck: { url: "${actuatorUrl}/health", expectStatus: 200, consecutive: 2, interval: 100ms }
    deadline: 1500ms
`;
}
