import { Module } from '@nestjs/common';
import { ExecutorConsumer } from './executor.consumer';

@Module({ controllers: [ExecutorConsumer] })
export class ExecutorModule {}
