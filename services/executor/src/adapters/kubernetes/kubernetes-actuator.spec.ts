import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { prepareCall, type KubernetesCall } from '@homeostat/execution';
import { AdapterRunner } from '../adapter-runner';
import { KubernetesActuator, RESTARTED_AT_ANNOTATION } from './kubernetes-actuator';

interface SeenRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

/** The few Kubernetes API calls the actuator makes, with a Deployment "shop" in namespace "shop-ns". */
class FakeApiServer {
  readonly requests: SeenRequest[] = [];
  replicas = 2;
  restartedAt: string | undefined;
  failNext: { status: number; message: string } | undefined;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    this.requests.push({
      method: req.method ?? '',
      path,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body: text ? JSON.parse(text) : undefined,
    });
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (this.failNext) {
      const { status, message } = this.failNext;
      this.failNext = undefined;
      return send(status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code: status });
    }
    const scale = () => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'shop', namespace: 'shop-ns' },
      spec: { replicas: this.replicas },
      status: { replicas: this.replicas },
    });
    if (path === '/apis/apps/v1/namespaces/shop-ns/deployments/shop/scale') {
      if (req.method === 'GET') return send(200, scale());
      if (req.method === 'PATCH') {
        this.replicas = (JSON.parse(text) as { spec: { replicas: number } }).spec.replicas;
        return send(200, scale());
      }
    }
    if (path === '/apis/apps/v1/namespaces/shop-ns/deployments/shop' && req.method === 'PATCH') {
      this.restartedAt = (
        JSON.parse(text) as { spec: { template: { metadata: { annotations: Record<string, string> } } } }
      ).spec.template.metadata.annotations[RESTARTED_AT_ANNOTATION];
      return send(200, {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: { name: 'shop', namespace: 'shop-ns' },
        spec: { replicas: this.replicas },
      });
    }
    send(404, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: `deployments.apps "${path}" not found`,
      reason: 'NotFound',
      code: 404,
    });
  }
}

function kubeConfigFor(server: string, namespace = 'shop-ns'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'executor', token: 'sa-token-123' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'executor', namespace }],
    currentContext: 'test',
  });
  return kc;
}

const NOW = new Date('2026-03-02T10:00:00.000Z');
const scale = (replicas: number | 'previous'): KubernetesCall => ({ operation: 'scale', deployment: 'shop', replicas, timeoutMs: 2_000 });

describe('the Kubernetes adapter against an API server', () => {
  const api = new FakeApiServer();
  let actuator: KubernetesActuator;

  beforeAll(async () => {
    await api.start();
    actuator = new KubernetesActuator(kubeConfigFor(api.url), () => NOW);
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.requests.length = 0;
    api.replicas = 2;
  });

  it('scales: reads the scale subresource, then merge-patches spec.replicas, with the bearer token', async () => {
    const response = await actuator.run(scale(5));
    expect(response).toMatchObject({ accepted: true, previousReplicas: 2, detail: 'scaled deployment shop-ns/shop from 2 to 5 replicas' });
    expect(api.requests).toEqual([
      {
        method: 'GET',
        path: '/apis/apps/v1/namespaces/shop-ns/deployments/shop/scale',
        contentType: undefined,
        authorization: 'Bearer sa-token-123',
        body: undefined,
      },
      {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/shop-ns/deployments/shop/scale',
        contentType: 'application/merge-patch+json',
        authorization: 'Bearer sa-token-123',
        body: { spec: { replicas: 5 } },
      },
    ]);
    expect(api.replicas).toBe(5);
  });

  it('scales back to the count before the action for replicas: previous (the inverse)', async () => {
    const first = await actuator.run(scale(4));
    const back = await actuator.run(scale('previous'), { previousReplicas: first.previousReplicas! });
    expect(back).toMatchObject({ accepted: true, detail: 'scaled deployment shop-ns/shop from 4 to 2 replicas' });
    expect(api.requests.at(-1)).toMatchObject({ method: 'PATCH', body: { spec: { replicas: 2 } } });
    // Without a remembered count nothing is patched.
    api.requests.length = 0;
    expect(await actuator.run(scale('previous'))).toMatchObject({ accepted: false, detail: expect.stringContaining('unknown') });
    expect(api.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('restarts like kubectl rollout restart: a merge patch of the pod template annotation', async () => {
    const response = await actuator.run({ operation: 'restart', deployment: 'shop', timeoutMs: 2_000 });
    expect(response).toMatchObject({ accepted: true, detail: expect.stringContaining('restarted deployment shop-ns/shop') });
    expect(api.requests).toEqual([
      {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/shop-ns/deployments/shop',
        contentType: 'application/merge-patch+json',
        authorization: 'Bearer sa-token-123',
        body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-03-02T10:00:00.000Z' } } } } },
      },
    ]);
  });

  it('an explicit namespace wins over the context', async () => {
    await actuator.run({ operation: 'restart', deployment: 'shop', namespace: 'other', timeoutMs: 2_000 });
    expect(api.requests[0]?.path).toBe('/apis/apps/v1/namespaces/other/deployments/shop');
  });

  it('reports API errors and refused connections as not accepted, without throwing', async () => {
    api.failNext = {
      status: 403,
      message: 'deployments.apps "shop" is forbidden: User "system:serviceaccount:shop-ns:homeostat-executor" cannot patch resource',
    };
    expect(await actuator.run({ operation: 'restart', deployment: 'shop', timeoutMs: 2_000 })).toMatchObject({
      accepted: false,
      detail: expect.stringMatching(/HTTP 403.*forbidden/),
    });
    expect(await actuator.run({ operation: 'restart', deployment: 'missing', timeoutMs: 2_000 })).toMatchObject({
      accepted: false,
      detail: expect.stringContaining('HTTP 404'),
    });
    const refused = new KubernetesActuator(kubeConfigFor('http://127.0.0.1:1'));
    expect(await refused.run(scale(1))).toMatchObject({
      accepted: false,
      detail: expect.stringContaining('scale of deployment shop-ns/shop failed'),
    });
  });

  it('through the executor: params from the loop spec, templates filled, the inverse gets the memo', async () => {
    const runner = new AdapterRunner(() => actuator);
    const input = {
      context: { decisionId: 'd-1', incidentId: 'i-1', target: 'shop', fingerprint: 'fp', action: 'scale-out', loop: 'shop' },
      env: { SHOP_DEPLOYMENT: 'shop' },
      idempotencyKey: 'd-1',
      timeoutMs: 2_000,
    };
    const action = prepareCall(
      { adapter: 'kubernetes', params: { operation: 'scale', deployment: '${SHOP_DEPLOYMENT}', replicas: 6 } },
      input,
    );
    const inverse = prepareCall(
      { adapter: 'kubernetes', params: { operation: 'scale', deployment: '{{target}}', replicas: 'previous' } },
      input,
    );
    if (!action.ok || !inverse.ok) throw new Error('prepare failed');
    const signal = new AbortController().signal;
    const done = await runner.run(action.prepared, { fetch, signal });
    expect(done).toMatchObject({ accepted: true, memo: { previousReplicas: 2 } });
    expect(await runner.run(inverse.prepared, { fetch, signal, memo: done.memo })).toMatchObject({ accepted: true });
    expect(api.replicas).toBe(2);
    expect(prepareCall({ adapter: 'kubernetes', params: { operation: 'scale', deployment: 'shop' } }, input)).toMatchObject({
      ok: false,
      code: 'ADAPTER_PARAMS_INVALID',
    });
    expect(prepareCall({ adapter: 'kubernetes', params: { operation: 'restart', deployment: 'Not_A_Name' } }, input)).toMatchObject({
      ok: false,
      code: 'ADAPTER_PARAMS_INVALID',
    });
    expect(prepareCall({ adapter: 'kubernetes', params: { operation: 'restart', deployment: '${UNSET_VAR}' } }, input)).toMatchObject({
      ok: false,
      code: 'TEMPLATE_INVALID',
    });
  });

  it('without any Kubernetes configuration an action fails with a message, the runner does not throw', async () => {
    const runner = new AdapterRunner(() => {
      throw new Error('no kubeconfig found');
    });
    const built = prepareCall(
      { adapter: 'kubernetes', params: { operation: 'restart', deployment: 'shop' } },
      {
        context: { decisionId: 'd', incidentId: 'i', target: 't', fingerprint: 'f', action: 'a', loop: 'l' },
        env: {},
        idempotencyKey: 'd',
        timeoutMs: 1_000,
      },
    );
    if (!built.ok) throw new Error('prepare failed');
    expect(await runner.run(built.prepared, { fetch, signal: new AbortController().signal })).toMatchObject({
      accepted: false,
      detail: expect.stringContaining('no kubeconfig found'),
    });
  });
});
