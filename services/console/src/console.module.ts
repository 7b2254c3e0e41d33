import { Module } from '@nestjs/common';
import { ControlController } from './control.controller';
import { LedgerClient } from './ledger.client';

/** The control API on port 8080 (the web UI joins it in its own issue). */
@Module({ controllers: [ControlController], providers: [LedgerClient] })
export class ConsoleModule {}
