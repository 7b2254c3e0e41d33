import { Inject, Injectable } from '@nestjs/common';
import type { LoopSpec } from '@homeostat/contracts';
import { LOOPS } from '@homeostat/runtime';
import { LedgerClient } from '../ledger.client';
import type { ControlCommandRow, DecisionSummary, IncidentSummary, LoopStatusAnswer } from '../view/ledger.types';
import { buildOverview, type Overview } from '../view/overview';

/** The overview, composed from the learner's reads (the learner owns ClickHouse). */
@Injectable()
export class OverviewService {
  constructor(
    private readonly ledger: LedgerClient,
    @Inject(LOOPS) private readonly loops: readonly LoopSpec[],
  ) {}

  async overview(): Promise<Overview> {
    const [incidents, decisions, status, commands] = await Promise.all([
      this.ledger.get('/api/incidents', { limit: '50' }) as Promise<IncidentSummary[]>,
      this.ledger.get('/api/decisions', { limit: '50' }) as Promise<DecisionSummary[]>,
      this.ledger.get('/api/loops/status') as Promise<LoopStatusAnswer>,
      this.ledger.get('/api/control', { limit: '20' }) as Promise<ControlCommandRow[]>,
    ]);
    return buildOverview({
      loops: this.loops.map((l) => l.metadata.name),
      kinds: Object.fromEntries(this.loops.map((l) => [l.metadata.name, l.spec.kind])),
      incidents,
      decisions,
      status,
      commands,
      now: Date.now(),
    });
  }
}
