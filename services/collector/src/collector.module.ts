import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { BuildsController } from './builds.controller';
import { CollectorExceptionFilter } from './collector-exception.filter';
import { OtlpController } from './otlp.controller';
import { OtlpIngest } from './otlp-ingest.service';
import { OtlpProtobufRoute } from './otlp-protobuf.route';
import { TelemetryPublisher } from './telemetry.publisher';

/** OTLP/HTTP ingest (traces, metrics, logs) and CI build events, published on telemetry.*. */
@Module({
  controllers: [OtlpController, BuildsController],
  providers: [TelemetryPublisher, OtlpIngest, OtlpProtobufRoute, ApiKeyGuard, CollectorExceptionFilter],
})
export class CollectorModule {}
