import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { HomeostatMetrics } from '@homeostat/metrics';
import { METRICS } from './tokens';

/**
 * Prometheus text on GET /metrics, on every service's port. In embedded mode every port serves
 * the same registry (the whole process's); in distributed mode each process serves its own.
 * Open like the probes: it holds counts, no data.
 */
@Controller()
export class MetricsController {
  constructor(@Inject(METRICS) private readonly metrics: HomeostatMetrics) {}

  @Get('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    const text = await this.metrics.text();
    // end(), not send(): Express would rewrite the content type prom-client gives (Prometheus's own).
    res.status(200).setHeader('Content-Type', this.metrics.contentType);
    res.end(text);
  }
}
