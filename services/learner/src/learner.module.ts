import { Module } from '@nestjs/common';
import { LearnerConsumer } from './learner.consumer';
import { LearnerStore } from './learner-store.service';

@Module({ controllers: [LearnerConsumer], providers: [LearnerStore], exports: [LearnerStore] })
export class LearnerModule {}
