import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { EventPublisher } from '@homeostat/bus';
import type { EventData } from '@homeostat/contracts';
import { commandBodySchema, killSwitchBodySchema, parseBody } from './control.dto';
import { LedgerClient } from './ledger.client';

/**
 * The control API people (and the CLI) use. Commands travel on loop.control, so the decider and
 * the executor see them in order with everything else, and the learner records who did what.
 * Reads come from the learner's ledger API.
 */
@Controller('api')
export class ControlController {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly ledger: LedgerClient,
  ) {}

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('incidents')
  incidents(@Query('status') status?: string, @Query('limit') limit?: string): Promise<unknown> {
    return this.ledger.get('/api/incidents', { status, limit });
  }

  @Get('incidents/:id')
  incident(@Param('id') id: string): Promise<unknown> {
    return this.ledger.get(`/api/incidents/${encodeURIComponent(id)}`);
  }

  @Get('decisions')
  decisions(@Query('limit') limit?: string): Promise<unknown> {
    return this.ledger.get('/api/decisions', { limit });
  }

  @Get('decisions/:id')
  decision(@Param('id') id: string): Promise<unknown> {
    return this.ledger.get(`/api/decisions/${encodeURIComponent(id)}`);
  }

  @Get('analytics/learning-curve')
  learningCurve(@Query('loop') loop?: string): Promise<unknown> {
    return this.ledger.get('/api/analytics/learning-curve', { loop });
  }

  @Post('decisions/:id/approve')
  @HttpCode(202)
  approve(@Param('id') decisionId: string, @Body() body: unknown): Promise<unknown> {
    const { reason, actor } = parseBody(commandBodySchema, body);
    return this.command(decisionId, { command: 'approve', decisionId, actor: actor ?? 'anonymous', reason });
  }

  @Post('decisions/:id/reject')
  @HttpCode(202)
  reject(@Param('id') decisionId: string, @Body() body: unknown): Promise<unknown> {
    const { reason, actor } = parseBody(commandBodySchema, body);
    return this.command(decisionId, { command: 'reject', decisionId, actor: actor ?? 'anonymous', reason });
  }

  @Post('loops/:name/pause')
  @HttpCode(202)
  pause(@Param('name') loop: string, @Body() body: unknown): Promise<unknown> {
    const { reason, actor } = parseBody(commandBodySchema, body);
    return this.command(loop, { command: 'pause-loop', loop, actor: actor ?? 'anonymous', reason });
  }

  @Post('loops/:name/resume')
  @HttpCode(202)
  resume(@Param('name') loop: string, @Body() body: unknown): Promise<unknown> {
    const { reason, actor } = parseBody(commandBodySchema, body);
    return this.command(loop, { command: 'resume-loop', loop, actor: actor ?? 'anonymous', reason });
  }

  @Post('kill-switch')
  @HttpCode(202)
  killSwitch(@Body() body: unknown): Promise<unknown> {
    const { on, loop, reason, actor } = parseBody(killSwitchBodySchema, body);
    const data: EventData<'homeostat.control.v1'> = { command: 'kill-switch', state: on ? 'on' : 'off', actor: actor ?? 'anonymous', reason };
    if (loop) data.loop = loop;
    return this.command(loop ?? 'all-loops', data);
  }

  private async command(subject: string, data: EventData<'homeostat.control.v1'>): Promise<{ accepted: true; eventId: string; command: string }> {
    const event = await this.publisher.publish('homeostat.control.v1', { subject, data });
    return { accepted: true, eventId: event.id, command: data.command };
  }
}
