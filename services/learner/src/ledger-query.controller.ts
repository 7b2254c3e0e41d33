import {
  BadRequestException,
  Body,
  Controller,
  DefaultValuePipe,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
} from '@nestjs/common';
import type { SimilarFailuresAnswer } from '@homeostat/contracts';
import { LedgerQueryService } from './ledger-query.service';
import { TelemetryQueryService } from './telemetry-query.service';
import { parseSimilarFailuresRequest } from './similar-failures.query';

const clampLimit = (limit: number): number => Math.min(Math.max(limit, 1), 10_000);

/** The learner's read API over the ledger: the console and the CLI read through it. */
@Controller('api')
export class LedgerQueryController {
  constructor(
    private readonly ledger: LedgerQueryService,
    private readonly telemetry: TelemetryQueryService,
  ) {}

  @Get('incidents')
  incidents(
    @Query('status') status: string | undefined,
    @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number,
  ): Promise<unknown> {
    return this.ledger.incidents({ ...(status ? { status } : {}), limit: clampLimit(limit) });
  }

  @Get('incidents/:id')
  async incident(@Param('id') id: string): Promise<unknown> {
    return (await this.ledger.incident(id)) ?? notFound('incident', id);
  }

  @Get('decisions')
  decisions(
    @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number,
    @Query('loop') loop: string | undefined,
    @Query('mode') mode: string | undefined,
  ): Promise<unknown> {
    return this.ledger.decisions(clampLimit(limit), { ...(loop ? { loop } : {}), ...(mode ? { mode } : {}) });
  }

  @Get('decisions/:id')
  async decision(@Param('id') id: string): Promise<unknown> {
    return (await this.ledger.decision(id)) ?? notFound('decision', id);
  }

  @Get('control')
  control(@Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number): Promise<unknown> {
    return this.ledger.controlCommands(clampLimit(limit));
  }

  @Get('loops/status')
  loopStatus(): Promise<unknown> {
    return this.ledger.loopStatus();
  }

  @Get('analytics/learning-curve')
  learningCurve(@Query('loop') loop: string | undefined): Promise<unknown> {
    return this.ledger.learningCurve(loop);
  }

  @Get('analytics/effectiveness')
  effectiveness(@Query('loop') loop: string | undefined): Promise<unknown> {
    return this.ledger.effectiveness(loop);
  }

  /** `?loop=&limit=`: an optimize loop's experiments with their verdicts. */
  @Get('experiments')
  experiments(
    @Query('loop') loop: string | undefined,
    @Query('limit', new DefaultValuePipe(200), ParseIntPipe) limit: number,
  ): Promise<unknown> {
    if (!loop) throw new BadRequestException('loop is required');
    return this.ledger.experiments(loop, clampLimit(limit));
  }

  /**
   * `{features, k?, loops?, exclude?}`: the stored repair failures most similar to a failure's
   * features (a read, by POST because a failure's features do not fit a URL). A bad body is a 400
   * naming the fields.
   */
  @Post('repair/similar-failures')
  @HttpCode(200)
  similarFailures(@Body() body: unknown): Promise<SimilarFailuresAnswer> {
    const parsed = parseSimilarFailuresRequest(body);
    if (!parsed.ok) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: parsed.issues });
    return this.ledger.similarFailures(parsed.query);
  }

  /** `?service=&name=&labels=<JSON object>&from=<ISO>&to=<ISO>&step=<ms>`: one series' values over time. */
  @Get('telemetry/series')
  series(
    @Query('service') service: string | undefined,
    @Query('name') name: string | undefined,
    @Query('labels') labels: string | undefined,
    @Query('from') from: string | undefined,
    @Query('to') to: string | undefined,
    @Query('step', new DefaultValuePipe(1000), ParseIntPipe) step: number,
  ): Promise<unknown> {
    const fromMs = Date.parse(from ?? '');
    const toMs = Date.parse(to ?? '');
    if (!service || !name) throw new BadRequestException('service and name are required');
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new BadRequestException('from and to must be RFC 3339 timestamps');
    if (step < 100) throw new BadRequestException('step must be at least 100 ms');
    return this.telemetry.series({ service, name, labels: parseLabels(labels), fromMs, toMs, stepMs: step });
  }

  /** `?service=&route=&from=<ISO>&to=<ISO>&step=<ms>`: an API gateway route's buckets, as the optimize loop's experiments are judged on. */
  @Get('telemetry/routes')
  routes(
    @Query('service') service: string | undefined,
    @Query('route') route: string | undefined,
    @Query('from') from: string | undefined,
    @Query('to') to: string | undefined,
    @Query('step', new DefaultValuePipe(1000), ParseIntPipe) step: number,
  ): Promise<unknown> {
    if (!service || !route) throw new BadRequestException('service and route are required');
    return this.telemetry.routeBuckets({ service, route, ...parseWindow(from, to, step), stepMs: step });
  }
}

function parseWindow(from: string | undefined, to: string | undefined, step: number): { fromMs: number; toMs: number } {
  const fromMs = Date.parse(from ?? '');
  const toMs = Date.parse(to ?? '');
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new BadRequestException('from and to must be RFC 3339 timestamps');
  if (step < 100) throw new BadRequestException('step must be at least 100 ms');
  return { fromMs, toMs };
}

function parseLabels(text: string | undefined): Record<string, string> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadRequestException('labels must be a JSON object of strings');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    throw new BadRequestException('labels must be a JSON object of strings');
  }
  return parsed as Record<string, string>;
}

function notFound(kind: string, id: string): never {
  throw new NotFoundException(`no ${kind} ${id}`);
}
