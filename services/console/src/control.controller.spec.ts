import { Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventPublisher } from '@homeostat/bus';
import { CONFIG, PEERS } from '@homeostat/runtime';
import { TokenRegistry } from './access/access';
import { AccessGuard } from './access/access.guard';
import { ControlController } from './control.controller';
import { LedgerClient } from './ledger.client';

const KNOWN = '0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b';

/** The learner's query API, as far as decisions go: KNOWN exists, nothing else does. */
function fakeLearner(asked: string[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    asked.push(req.url ?? '');
    const id = decodeURIComponent((req.url ?? '').replace(/^\/api\/decisions\//, ''));
    const found = id === KNOWN;
    res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(found ? { decision: { id } } : { statusCode: 404, message: `no decision ${id}`, error: 'Not Found' }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

describe('ControlController: commands on decisions and loops', () => {
  const asked: string[] = [];
  const published: { type: string; subject: string }[] = [];
  let learner: { server: Server; url: string };
  let app: INestApplication;
  let api: string;

  beforeAll(async () => {
    learner = await fakeLearner(asked);
    const publisher = {
      publish: (type: string, init: { subject: string }) => {
        published.push({ type, subject: init.subject });
        return Promise.resolve({ id: `event-${published.length}` });
      },
    };
    @Module({
      controllers: [ControlController],
      providers: [
        LedgerClient,
        { provide: CONFIG, useValue: { urls: { learner: learner.url } } },
        { provide: PEERS, useValue: new Map<string, string>() },
        { provide: EventPublisher, useValue: publisher },
        { provide: TokenRegistry, useValue: new TokenRegistry([]) },
        { provide: APP_GUARD, useClass: AccessGuard },
      ],
    })
    class ControlTestModule {}
    app = await NestFactory.create(ControlTestModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    api = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}/api`;
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => learner?.server.close(resolve));
  });

  const command = async (id: string, verb: 'approve' | 'reject'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${api}/decisions/${id}/${verb}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'looks right' }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it.each(['approve', 'reject'] as const)('%s: publishes on loop.control for a decision the ledger knows (202)', async (verb) => {
    const before = published.length;
    expect(await command(KNOWN, verb)).toEqual({ status: 202, body: { accepted: true, eventId: expect.any(String), command: verb } });
    expect(published.slice(before)).toEqual([{ type: 'homeostat.control.v1', subject: KNOWN }]);
  });

  it.each([
    ['8,000 characters', 'a'.repeat(8000), /\(8000 characters\) is not a decision id/],
    ['a NUL byte', '%00', /^"\\u0000" \(1 characters\) is not a decision id/],
    ['SQL-like text', encodeURIComponent("1' OR '1'='1"), /^"1' OR '1'='1" \(12 characters\) is not a decision id/],
    ['a path', encodeURIComponent('../incidents'), /is not a decision id/],
  ])('answers 400 to a malformed id (%s), asks the ledger nothing and publishes nothing', async (_, id, message) => {
    const before = { asked: asked.length, published: published.length };
    for (const verb of ['approve', 'reject'] as const) {
      const answer = await command(id, verb);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
    }
    expect(asked.length).toBe(before.asked);
    expect(published.length).toBe(before.published);
  });

  const post = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers 400 to a loop name that is not a DNS label (pause, resume, kill switch), and publishes nothing', async () => {
    const before = published.length;
    for (const verb of ['pause', 'resume']) {
      expect(await post(`/loops/${'l'.repeat(8000)}/${verb}`, { reason: 'x' })).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: expect.stringMatching(/\(8000 characters\) is not a loop name: a DNS label/),
        },
      });
      expect((await post(`/loops/${encodeURIComponent("shop'; DROP")}/${verb}`, { reason: 'x' })).status).toBe(400);
    }
    expect(await post('/kill-switch', { on: true, loop: 'Shop Loop' })).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: [expect.stringMatching(/^loop: must be a DNS label/)] },
    });
    expect(published.length).toBe(before);
    expect((await post('/loops/shop-health/pause', { reason: 'x' })).status).toBe(202);
    expect((await post('/kill-switch', { on: true, loop: 'shop' })).status).toBe(202);
  });

  it('answers 404 to a decision the ledger does not know, and publishes nothing', async () => {
    const unknown = '0193b2c4-5d6e-7f80-9a1b-000000000000';
    const before = published.length;
    for (const verb of ['approve', 'reject'] as const) {
      expect(await command(unknown, verb)).toEqual({
        status: 404,
        body: { statusCode: 404, message: `no decision ${unknown}`, error: 'Not Found' },
      });
    }
    expect(asked).toContain(`/api/decisions/${unknown}`);
    expect(published.length).toBe(before);
  });
});
