import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { learnerSimilarFailures } from './learner-similar-failures';

/* The learner's similar-failures API as the analyzer reads it, against a server on loopback. */
describe('learnerSimilarFailures', () => {
  let server: Server;
  let base = '';
  let answer: (req: IncomingMessage, body: string, res: ServerResponse) => void = () => undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => answer(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("posts the failure's features and what to leave out, and keeps of the answer what the failure carries", async () => {
    let seen: { method?: string; url?: string; body?: unknown } = {};
    answer = (req, body, res) => {
      seen = { method: req.method, url: req.url, body: JSON.parse(body) as unknown };
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          similar: [
            { incidentId: 'inc-9', loop: 'other', target: 'repo', signature: 'test: x', category: 'test', openedAt: '', score: 0.8 },
            { incidentId: 'inc-8', loop: 'other', target: 'repo', signature: '', category: 'test', openedAt: '', score: 0.5 },
          ],
          exact: true,
          candidates: 2,
          scored: 2,
        }),
      );
    };
    const similar = await learnerSimilarFailures(() => base)({ 'category:test': 1 }, ['inc-1']);
    expect(seen).toEqual({
      method: 'POST',
      url: '/api/repair/similar-failures',
      body: { features: { 'category:test': 1 }, k: 5, exclude: ['inc-1'] },
    });
    expect(similar).toEqual([{ incidentId: 'inc-9', signature: 'test: x', score: 0.8 }]);
  });

  it('throws when the learner refuses, or answers something else', async () => {
    answer = (_req, _body, res) => {
      res.statusCode = 503;
      res.end('starting');
    };
    await expect(learnerSimilarFailures(() => base)({ a: 1 }, [])).rejects.toThrow(/answered 503/);
    answer = (_req, _body, res) => res.end('{"rows": []}');
    await expect(learnerSimilarFailures(() => base)({ a: 1 }, [])).rejects.toThrow(/not a list/);
  });
});
