import { Module } from '@nestjs/common';
import { LearnerConsumer } from './learner.consumer';
import { KnowledgeService } from './knowledge.service';
import { LearnerStore } from './learner-store.service';

@Module({ controllers: [LearnerConsumer], providers: [LearnerStore, KnowledgeService], exports: [LearnerStore, KnowledgeService] })
export class LearnerModule {}
