import { Controller, Get, Module, Post, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { TokenRegistry, type Principal } from './access';
import { Access, AccessGuard, Caller } from './access.guard';

@Controller('api')
@Access('viewer')
class ProbeController {
  @Get('read')
  read(@Caller() caller: Principal): Principal {
    return caller;
  }

  @Post('pause')
  @Access('operator')
  pause(@Caller() caller: Principal): string {
    return caller.name;
  }

  @Post('kill')
  @Access('admin')
  kill(): string {
    return 'killed';
  }

  @Get('health')
  @Access('public')
  health(): string {
    return 'ok';
  }
}

async function appWith(registry: TokenRegistry): Promise<{ app: INestApplication; url: string }> {
  @Module({
    controllers: [ProbeController],
    providers: [
      { provide: TokenRegistry, useValue: registry },
      { provide: APP_GUARD, useClass: AccessGuard },
    ],
  })
  class ProbeModule {}
  const app = await NestFactory.create(ProbeModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}` };
}

describe('AccessGuard on the control API', () => {
  let on: { app: INestApplication; url: string };
  let off: { app: INestApplication; url: string };

  beforeAll(async () => {
    on = await appWith(
      new TokenRegistry([
        { name: 'vera', role: 'viewer', token: 'viewer-token-0000001' },
        { name: 'otto', role: 'operator', token: 'operator-token-00001' },
      ]),
    );
    off = await appWith(new TokenRegistry([]));
  });

  afterAll(async () => {
    await on.app.close();
    await off.app.close();
  });

  const call = async (base: string, method: string, path: string, token?: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${base}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as unknown) : text };
  };

  it('answers 401 with a JSON message when no token is sent', async () => {
    expect(await call(on.url, 'GET', '/api/read')).toEqual({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/a token is required/) },
    });
  });

  it('answers 401 with a JSON message to a session cookie that is not URI-encoded (not a 500)', async () => {
    const res = await fetch(`${on.url}/api/read`, { headers: { cookie: 'homeostat_console=%E0%A4%A' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringMatching(/token is not valid/) });
    const offAnswer = await fetch(`${off.url}/api/read`, { headers: { cookie: 'homeostat_console=%E0%A4%A' } });
    expect(offAnswer.status).toBe(200);
  });

  it('answers 403 with a JSON message when the role is too low', async () => {
    expect(await call(on.url, 'POST', '/api/pause', 'viewer-token-0000001')).toEqual({
      status: 403,
      body: { statusCode: 403, error: 'Forbidden', message: expect.stringMatching(/^vera has the role viewer; this needs operator/) },
    });
    expect((await call(on.url, 'POST', '/api/kill', 'operator-token-00001')).status).toBe(403);
  });

  it('lets the method role override the controller role, and hands the caller to the handler', async () => {
    expect(await call(on.url, 'POST', '/api/pause', 'operator-token-00001')).toEqual({ status: 201, body: 'otto' });
    expect(await call(on.url, 'GET', '/api/read', 'viewer-token-0000001')).toEqual({
      status: 200,
      body: { name: 'vera', role: 'viewer', authenticated: true },
    });
  });

  it('keeps public routes open', async () => {
    expect(await call(on.url, 'GET', '/api/health')).toEqual({ status: 200, body: 'ok' });
  });

  it('with access control off, lets everyone through as an unauthenticated admin', async () => {
    expect((await call(off.url, 'POST', '/api/kill')).status).toBe(201);
    expect((await call(off.url, 'GET', '/api/read')).body).toEqual({ name: 'anonymous', role: 'admin', authenticated: false });
  });
});
