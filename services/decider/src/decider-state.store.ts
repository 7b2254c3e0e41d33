import { join } from 'node:path';
import { JsonStateFile } from '@homeostat/runtime';
import type { DeciderSnapshot } from './decider-core';

/**
 * The decider's state on disk (policy state and open cases), written atomically after changes,
 * so a restart keeps what the loop learned, its guardrail counters and its pending chains. The
 * knowledge itself is also on the compacted loop.knowledge topic and in the learner's ledger.
 */
export class DeciderStateStore extends JsonStateFile<DeciderSnapshot> {
  constructor(dataDir: string) {
    super(join(dataDir, 'decider', 'state.json'));
  }
}
