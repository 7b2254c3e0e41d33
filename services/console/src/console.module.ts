import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { HomeostatConfig } from '@homeostat/config';
import { CONFIG } from '@homeostat/runtime';
import { TokenRegistry } from './access/access';
import { AccessGuard } from './access/access.guard';
import { SessionController } from './access/session.controller';
import { ControlController } from './control.controller';
import { LedgerClient } from './ledger.client';
import { LiveController } from './live/live.controller';
import { OverviewService } from './live/overview.service';
import { UiBundle } from './ui/ui-bundle.service';
import { UiController } from './ui/ui.controller';

/** The control API and the web UI on port 8080; access by token and role when CONSOLE_TOKENS is set. */
@Module({
  controllers: [ControlController, SessionController, LiveController, UiController],
  providers: [
    LedgerClient,
    OverviewService,
    UiBundle,
    { provide: TokenRegistry, useFactory: (config: HomeostatConfig) => new TokenRegistry(config.console.tokens), inject: [CONFIG] },
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
})
export class ConsoleModule {}
