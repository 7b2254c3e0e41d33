import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { EventPublisher } from '@homeostat/bus';
import type { EventData } from '@homeostat/contracts';
import { actorOf, type Principal } from './access/access';
import { Access, Caller } from './access/access.guard';
import { commandBodySchema, killSwitchBodySchema, parseBody, parseDecisionId, parseLoopName } from './control.dto';
import { LedgerClient } from './ledger.client';

/**
 * The control API people (and the CLI) use. Commands travel on loop.control, so the decider and
 * the executor see them in order with everything else, and the learner records who did what.
 * Reads come from the learner's ledger API. Reads need the viewer role, approvals and pauses the
 * operator role, the kill switch the admin role (when CONSOLE_TOKENS turns access control on).
 */
@Controller('api')
@Access('viewer')
export class ControlController {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly ledger: LedgerClient,
  ) {}

  @Get('health')
  @Access('public')
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
  decisions(@Query('limit') limit?: string, @Query('loop') loop?: string, @Query('mode') mode?: string): Promise<unknown> {
    return this.ledger.get('/api/decisions', { limit, loop, mode });
  }

  @Get('decisions/:id')
  decision(@Param('id') id: string): Promise<unknown> {
    return this.ledger.get(`/api/decisions/${encodeURIComponent(id)}`);
  }

  @Get('analytics/learning-curve')
  learningCurve(@Query('loop') loop?: string): Promise<unknown> {
    return this.ledger.get('/api/analytics/learning-curve', { loop });
  }

  @Get('analytics/effectiveness')
  effectiveness(@Query('loop') loop?: string): Promise<unknown> {
    return this.ledger.get('/api/analytics/effectiveness', { loop });
  }

  /** An optimize loop's experiments with their verdicts (the console's experiments view). */
  @Get('experiments')
  experiments(@Query('loop') loop?: string, @Query('limit') limit?: string): Promise<unknown> {
    return this.ledger.get('/api/experiments', { loop, limit });
  }

  /** People's commands, newest first (the audit trail). */
  @Get('control')
  control(@Query('limit') limit?: string): Promise<unknown> {
    return this.ledger.get('/api/control', { limit });
  }

  @Get('telemetry/series')
  series(@Query() query: Record<string, string | undefined>): Promise<unknown> {
    const { service, name, labels, from, to, step } = query;
    return this.ledger.get('/api/telemetry/series', { service, name, labels, from, to, step });
  }

  @Post('decisions/:id/approve')
  @HttpCode(202)
  @Access('operator')
  async approve(@Param('id') id: string, @Body() body: unknown, @Caller() caller: Principal): Promise<unknown> {
    const decisionId = await this.knownDecision(id);
    const { reason, actor } = parseBody(commandBodySchema, body);
    return this.command(decisionId, { command: 'approve', decisionId, actor: actorOf(caller, actor), reason });
  }

  @Post('decisions/:id/reject')
  @HttpCode(202)
  @Access('operator')
  async reject(@Param('id') id: string, @Body() body: unknown, @Caller() caller: Principal): Promise<unknown> {
    const decisionId = await this.knownDecision(id);
    const { reason, actor } = parseBody(commandBodySchema, body);
    return this.command(decisionId, { command: 'reject', decisionId, actor: actorOf(caller, actor), reason });
  }

  @Post('loops/:name/pause')
  @HttpCode(202)
  @Access('operator')
  pause(@Param('name') name: string, @Body() body: unknown, @Caller() caller: Principal): Promise<unknown> {
    const loop = parseLoopName(name);
    const { reason, actor } = parseBody(commandBodySchema, body);
    return this.command(loop, { command: 'pause-loop', loop, actor: actorOf(caller, actor), reason });
  }

  @Post('loops/:name/resume')
  @HttpCode(202)
  @Access('operator')
  resume(@Param('name') name: string, @Body() body: unknown, @Caller() caller: Principal): Promise<unknown> {
    const loop = parseLoopName(name);
    const { reason, actor } = parseBody(commandBodySchema, body);
    return this.command(loop, { command: 'resume-loop', loop, actor: actorOf(caller, actor), reason });
  }

  @Post('kill-switch')
  @HttpCode(202)
  @Access('admin')
  killSwitch(@Body() body: unknown, @Caller() caller: Principal): Promise<unknown> {
    const { on, loop, reason, actor } = parseBody(killSwitchBodySchema, body);
    const data: EventData<'homeostat.control.v1'> = {
      command: 'kill-switch',
      state: on ? 'on' : 'off',
      actor: actorOf(caller, actor),
      reason,
    };
    if (loop) data.loop = loop;
    return this.command(loop ?? 'all-loops', data);
  }

  /**
   * The decision a command names, as the ledger knows it: a malformed id is a 400, one the
   * learner does not know its 404 (a command on nothing would travel on loop.control for nothing),
   * a learner that does not answer a 502, as for every read.
   */
  private async knownDecision(id: string): Promise<string> {
    const decisionId = parseDecisionId(id);
    await this.ledger.get(`/api/decisions/${encodeURIComponent(decisionId)}`);
    return decisionId;
  }

  private async command(
    subject: string,
    data: EventData<'homeostat.control.v1'>,
  ): Promise<{ accepted: true; eventId: string; command: string }> {
    const event = await this.publisher.publish('homeostat.control.v1', { subject, data });
    return { accepted: true, eventId: event.id, command: data.command };
  }
}
