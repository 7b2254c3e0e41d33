import { Module } from '@nestjs/common';
import { LearnerConsumer } from './learner.consumer';
import { KnowledgeService } from './knowledge.service';
import { LearnerStore } from './learner-store.service';
import { LedgerQueryController } from './ledger-query.controller';
import { LedgerQueryService } from './ledger-query.service';
import { TelemetryQueryService } from './telemetry-query.service';

@Module({
  controllers: [LearnerConsumer, LedgerQueryController],
  providers: [LearnerStore, KnowledgeService, LedgerQueryService, TelemetryQueryService],
  exports: [LearnerStore, KnowledgeService, LedgerQueryService],
})
export class LearnerModule {}
