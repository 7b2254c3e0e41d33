import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ActuatorCall {
  method: string;
  path: string;
  /** The executor's Idempotency-Key: the decision id, or `<decisionId>:rollback` for an inverse. */
  key: string;
  receivedAt: number;
  answeredAt?: number;
  status?: number;
  /** The shop answered from its idempotency memory: nothing was applied again. */
  replayed?: boolean;
}

/**
 * Stands between the executor and the shop, as a logging proxy: every call that changes the shop
 * (not GET, so not the health checks) is recorded with its Idempotency-Key and the shop's answer,
 * and held `delayMs` before it goes on, so that a kill -9 can land while an action is in flight.
 * An action applied twice shows here as two answers for one key that were not replays.
 */
export class ActuatorProxy {
  readonly calls: ActuatorCall[] = [];
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly shopUrl: string,
    private readonly delayMs: number,
  ) {}

  async start(): Promise<void> {
    const target = new URL(this.shopUrl);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const changes = req.method !== 'GET' && req.method !== 'HEAD';
        const call: ActuatorCall | undefined = changes
          ? { method: req.method ?? '', path: req.url ?? '', key: String(req.headers['idempotency-key'] ?? ''), receivedAt: Date.now() }
          : undefined;
        if (call) this.calls.push(call);
        const forward = (): void => {
          const out = httpRequest(
            { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
            (answer) => {
              if (call) {
                call.status = answer.statusCode;
                call.replayed = answer.headers['idempotent-replayed'] === 'true';
                call.answeredAt = Date.now();
              }
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          out.on('error', () => {
            if (call) call.answeredAt = Date.now();
            res.writeHead(502).end();
          });
          out.end(Buffer.concat(chunks));
        };
        // The shop gets the call whether or not the executor is still there to hear the answer.
        if (changes) setTimeout(forward, this.delayMs);
        else forward();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Calls held or on their way to the shop, not answered yet. */
  inFlight(): ActuatorCall[] {
    return this.calls.filter((c) => c.answeredAt === undefined);
  }

  /** Keys the shop applied more than once (2xx answers that were not replays). */
  appliedTwice(): string[] {
    const applied = new Map<string, number>();
    for (const c of this.calls)
      if (c.status !== undefined && c.status < 300 && !c.replayed) applied.set(c.key, (applied.get(c.key) ?? 0) + 1);
    return [...applied].filter(([, n]) => n > 1).map(([key]) => key);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
