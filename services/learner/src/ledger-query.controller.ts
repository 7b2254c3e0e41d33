import { Controller, Get, NotFoundException, Param, ParseIntPipe, DefaultValuePipe, Query } from '@nestjs/common';
import { LedgerQueryService } from './ledger-query.service';

/** The learner's read API over the ledger: the console and the CLI read through it. */
@Controller('api')
export class LedgerQueryController {
  constructor(private readonly ledger: LedgerQueryService) {}

  @Get('incidents')
  incidents(@Query('status') status: string | undefined, @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number): Promise<unknown> {
    return this.ledger.incidents({ ...(status ? { status } : {}), limit: Math.min(Math.max(limit, 1), 10_000) });
  }

  @Get('incidents/:id')
  async incident(@Param('id') id: string): Promise<unknown> {
    return (await this.ledger.incident(id)) ?? notFound('incident', id);
  }

  @Get('decisions')
  decisions(@Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number): Promise<unknown> {
    return this.ledger.decisions(Math.min(Math.max(limit, 1), 10_000));
  }

  @Get('decisions/:id')
  async decision(@Param('id') id: string): Promise<unknown> {
    return (await this.ledger.decision(id)) ?? notFound('decision', id);
  }

  @Get('analytics/learning-curve')
  learningCurve(@Query('loop') loop: string | undefined): Promise<unknown> {
    return this.ledger.learningCurve(loop);
  }
}

function notFound(kind: string, id: string): never {
  throw new NotFoundException(`no ${kind} ${id}`);
}
