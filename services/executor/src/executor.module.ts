import { Module } from '@nestjs/common';
import { ExecutorConsumer } from './executor.consumer';
import { ACTION_ENV, ExecutorService } from './executor.service';

@Module({
  controllers: [ExecutorConsumer],
  providers: [
    ExecutorService,
    // Read once at start: `${VAR}` in action params and health URLs (e.g. the shop's base URL).
    { provide: ACTION_ENV, useFactory: (): Readonly<Record<string, string | undefined>> => ({ ...process.env }) },
  ],
})
export class ExecutorModule {}
