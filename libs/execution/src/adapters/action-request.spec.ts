import { buildActionRequest, describeRequest, type RequestInput } from './action-request';

const input: RequestInput = {
  context: { decisionId: 'dec-1', incidentId: 'inc-1', target: 'shop', fingerprint: 'fp', action: 'recycle-pool', loop: 'shop-pool' },
  env: { SHOP_URL: 'http://shop:3000', TOKEN: 's3cret' },
  idempotencyKey: 'dec-1',
  timeoutMs: 5_000,
};

describe('building an action request', () => {
  it('http: method, templated URL and headers, JSON body, the decision id as Idempotency-Key', () => {
    const r = buildActionRequest(
      {
        adapter: 'http',
        params: {
          method: 'put',
          url: '${SHOP_URL}/actuator/config',
          headers: { Authorization: 'Bearer ${TOKEN}', 'idempotency-key': 'theirs' },
          body: { by: '{{decision.id}}', limit: 64 },
        },
      },
      input,
    );
    expect(r).toEqual({
      ok: true,
      request: {
        method: 'PUT',
        url: 'http://shop:3000/actuator/config',
        headers: { Authorization: 'Bearer s3cret', 'Content-Type': 'application/json', 'Idempotency-Key': 'dec-1' },
        body: '{"by":"dec-1","limit":64}',
        timeoutMs: 5_000,
      },
    });
  });

  it('http: expectStatus is kept, GET sends no body', () => {
    const r = buildActionRequest(
      { adapter: 'http', params: { method: 'GET', url: 'http://x/y', body: { a: 1 }, expectStatus: 204 } },
      input,
    );
    expect(r.ok && r.request).toEqual({
      method: 'GET',
      url: 'http://x/y',
      headers: { 'Idempotency-Key': 'dec-1' },
      expectStatus: 204,
      timeoutMs: 5_000,
    });
  });

  it('webhook: POST by default with a summary of the decision, or the given body template', () => {
    const plain = buildActionRequest(
      { adapter: 'webhook', params: { url: 'http://hooks/x' } },
      { ...input, idempotencyKey: 'dec-1:rollback' },
    );
    expect(plain.ok && plain.request.method).toBe('POST');
    expect(plain.ok && plain.request.headers['Idempotency-Key']).toBe('dec-1:rollback');
    expect(plain.ok && JSON.parse(plain.request.body!)).toEqual({
      decisionId: 'dec-1',
      incidentId: 'inc-1',
      loop: 'shop-pool',
      target: 'shop',
      fingerprint: 'fp',
      action: 'recycle-pool',
    });
    const text = buildActionRequest({ adapter: 'webhook', params: { url: 'http://hooks/x', body: 'run {{action}} on {{target}}' } }, input);
    expect(text.ok && text.request.body).toBe('run recycle-pool on shop');
    expect(text.ok && text.request.headers['Content-Type']).toBe('text/plain; charset=utf-8');
  });

  it('kubernetes is no HTTP request and ci is not supported yet: a coded error, never a throw', () => {
    expect(buildActionRequest({ adapter: 'kubernetes', params: {} }, input)).toEqual({
      ok: false,
      code: 'ADAPTER_UNSUPPORTED',
      message: expect.stringContaining('kubernetes adapter makes API calls'),
    });
    expect(buildActionRequest({ adapter: 'ci', params: {} }, input)).toMatchObject({ ok: false, code: 'ADAPTER_UNSUPPORTED' });
  });

  it('reports invalid params and unfillable templates with their code', () => {
    expect(buildActionRequest({ adapter: 'http', params: { url: 'http://x' } }, input)).toMatchObject({
      ok: false,
      code: 'ADAPTER_PARAMS_INVALID',
      message: expect.stringContaining('method'),
    });
    expect(buildActionRequest({ adapter: 'http', params: { method: 'POST', url: 'http://x', typo: 1 } }, input)).toMatchObject({
      ok: false,
      code: 'ADAPTER_PARAMS_INVALID',
    });
    expect(buildActionRequest({ adapter: 'http', params: { method: 'POST', url: '${NOPE}/x' } }, input)).toMatchObject({
      ok: false,
      code: 'TEMPLATE_INVALID',
      message: expect.stringContaining('NOPE'),
    });
  });

  it('masks credentials when the request is shown', () => {
    const r = buildActionRequest(
      { adapter: 'http', params: { method: 'POST', url: 'http://x', headers: { Authorization: 'Bearer ${TOKEN}', 'X-Api-Key': 'k' } } },
      input,
    );
    expect(r.ok && describeRequest(r.request)).toEqual({
      method: 'POST',
      url: 'http://x/',
      headers: { Authorization: '***', 'X-Api-Key': '***', 'Idempotency-Key': 'dec-1' },
      expectStatus: '2xx',
      timeoutMs: 5_000,
    });
  });
});
