import { join } from 'node:path';
import type { EngineSnapshot } from '@homeostat/analysis';
import type { OptimizeTargetSnapshot } from '@homeostat/optimize';
import type { RepairIncidentsSnapshot } from '@homeostat/repair';
import { JsonStateFile } from '@homeostat/runtime';

/**
 * The engine's snapshot, the repair loops' open incidents and past failures (which no telemetry
 * rebuilds), and the optimize loops' route windows and open incidents by target.
 */
export type AnalyzerSnapshot = EngineSnapshot & { repair?: RepairIncidentsSnapshot; optimize?: Record<string, OptimizeTargetSnapshot> };

/**
 * The analyzer's state on disk, under the data dir: written atomically (temp file + rename), so
 * a crash mid-write leaves the previous snapshot intact. A restarted analyzer continues where it
 * was. A target whose partition moved to another replica continues there from the changelog
 * (state/target-state-changelog.ts), which also covers a restart without a volume.
 */
export class AnalyzerStateStore extends JsonStateFile<AnalyzerSnapshot> {
  constructor(dataDir: string) {
    super(join(dataDir, 'analyzer', 'state.json'));
  }
}
