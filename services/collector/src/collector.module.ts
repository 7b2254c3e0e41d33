import { Module } from '@nestjs/common';

/** OTLP/HTTP ingest (traces, metrics, logs) and CI build events; see the collector issue. */
@Module({})
export class CollectorModule {}
