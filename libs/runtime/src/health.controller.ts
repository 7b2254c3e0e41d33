import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { READINESS, SERVICE_NAME } from './tokens';
import type { Readiness } from './readiness';

/** Liveness and readiness probes, the same paths in every service (and in Kubernetes). */
@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS) private readonly readiness: Readiness,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  live(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.service };
  }

  @Get('readyz')
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: 'ready' | 'not-ready'; service: string; checks: unknown }> {
    const result = await this.readiness.evaluate();
    res.status(result.ok ? 200 : 503);
    return { status: result.ok ? 'ready' : 'not-ready', service: this.service, checks: result.checks };
  }
}
