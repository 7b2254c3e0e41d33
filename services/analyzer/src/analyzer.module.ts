import { Module } from '@nestjs/common';
import { AnalyzerConsumer } from './analyzer.consumer';

@Module({ controllers: [AnalyzerConsumer] })
export class AnalyzerModule {}
