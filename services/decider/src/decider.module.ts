import { Module } from '@nestjs/common';
import { DeciderConsumer } from './decider.consumer';

@Module({ controllers: [DeciderConsumer] })
export class DeciderModule {}
