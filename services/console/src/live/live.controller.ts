import { Controller, Get, Inject, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LOGGER } from '@homeostat/runtime';
import type { JsonLogger } from '@homeostat/telemetry';
import { Access } from '../access/access.guard';
import type { Overview } from '../view/overview';
import { OverviewService } from './overview.service';

/** How often the overview is recomputed while someone watches; changes reach the page within this plus the render. */
export const LIVE_POLL_MS = 1_000;
const HEARTBEAT_MS = 15_000;

/**
 * The live overview as server-sent events: `overview` with the whole overview whenever it changed.
 * The console polls the learner (the ledger) once per interval for all watchers together, and only
 * while someone watches: this works the same in both modes and with several console replicas (a
 * consumer of its own on loop.* would get only its group's share of the partitions).
 */
@Controller('api')
@Access('viewer')
export class LiveController implements OnModuleDestroy {
  private readonly clients = new Set<Response>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private last = '';
  private polling = false;

  constructor(
    private readonly overviews: OverviewService,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  @Get('overview')
  overview(): Promise<Overview> {
    return this.overviews.overview();
  }

  @Get('events')
  events(@Req() req: Request, @Res() res: Response): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n\n`);
    this.clients.add(res);
    req.on('close', () => this.drop(res));
    if (this.last) res.write(frame(this.last));
    this.ensurePolling();
    void this.poll();
  }

  private ensurePolling(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), LIVE_POLL_MS);
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
  }

  private drop(res: Response): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stopPolling();
  }

  private stopPolling(): void {
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
    this.last = '';
  }

  private async poll(): Promise<void> {
    if (this.polling || this.clients.size === 0) return;
    this.polling = true;
    try {
      const { generatedAt: _at, ...content } = await this.overviews.overview();
      const json = JSON.stringify(content);
      if (json !== this.last) {
        this.last = json;
        for (const c of this.clients) c.write(frame(json));
      }
    } catch (error) {
      this.logger.warn(`live overview failed (will retry): ${String(error)}`, 'Console');
      for (const c of this.clients) c.write(`event: problem\ndata: ${JSON.stringify({ message: String(error) })}\n\n`);
    } finally {
      this.polling = false;
    }
  }

  /** Open streams would keep the HTTP server from closing. */
  onModuleDestroy(): void {
    this.stopPolling();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

function frame(json: string): string {
  return `event: overview\ndata: ${json}\n\n`;
}
