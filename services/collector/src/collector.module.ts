import { Module } from '@nestjs/common';
import type { HomeostatConfig } from '@homeostat/config';
import { CONFIG } from '@homeostat/runtime';
import { ApiKeyGuard } from './api-key.guard';
import { BodyPool } from './body-pool';
import { BuildsController } from './builds.controller';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { CollectorMetrics } from './collector.metrics';
import { GithubWebhookController } from './github-webhook.controller';
import { OtlpController } from './otlp.controller';
import { OtlpIngest } from './otlp-ingest.service';
import { OtlpProtobufRoute } from './otlp-protobuf.route';
import { TelemetryPublisher } from './telemetry.publisher';

/** OTLP/HTTP ingest (traces, metrics, logs) and CI build events, published on telemetry.*. */
@Module({
  controllers: [OtlpController, BuildsController, GithubWebhookController],
  providers: [
    TelemetryPublisher,
    OtlpIngest,
    OtlpProtobufRoute,
    ApiKeyGuard,
    CollectorExceptionFilter,
    CollectorMetrics,
    {
      provide: BodyPool,
      inject: [CONFIG],
      useFactory: (config: HomeostatConfig) =>
        new BodyPool({ maxPooledBytes: config.collector.bodyPool.maxPooledBytes, poison: config.collector.bodyPool.poisonReleased }),
    },
  ],
})
export class CollectorModule {}
