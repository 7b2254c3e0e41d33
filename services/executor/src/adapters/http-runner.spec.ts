import { sendRequest, type Fetch } from './http-runner';

const request = { method: 'POST', url: 'http://shop/actuator/restart', headers: { 'Idempotency-Key': 'd' }, timeoutMs: 50 };

describe('sending an action request', () => {
  it('counts 2xx as accepted unless a status is expected', async () => {
    const ok: Fetch = () => Promise.resolve(new Response('done', { status: 202 }));
    expect(await sendRequest(request, ok)).toMatchObject({ accepted: true, status: 202 });
    expect(await sendRequest({ ...request, expectStatus: 204 }, ok)).toMatchObject({
      accepted: false,
      status: 202,
      detail: expect.stringContaining('expected 204'),
    });
  });

  it('reports a network error and a timeout as not accepted, without throwing', async () => {
    const refused: Fetch = () => Promise.reject(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }));
    expect(await sendRequest(request, refused)).toMatchObject({ accepted: false, detail: expect.stringContaining('ECONNREFUSED') });
    const hangs: Fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    expect(await sendRequest(request, hangs)).toMatchObject({
      accepted: false,
      detail: expect.stringContaining('no response within 50 ms'),
    });
  });
});
