import { join } from 'node:path';
import { JsonStateFile } from '@homeostat/runtime';
import type { EngineSnapshot } from './engine/analysis-engine';

/**
 * The analyzer's state on disk, under the data dir: written atomically (temp file + rename), so
 * a crash mid-write leaves the previous snapshot intact. A restarted analyzer continues where it
 * was; a target whose partition moved to another instance starts cold there (its detectors
 * re-learn during their warm-up) — give each replica its own volume (a StatefulSet) to keep
 * restarts warm.
 */
export class AnalyzerStateStore extends JsonStateFile<EngineSnapshot> {
  constructor(dataDir: string) {
    super(join(dataDir, 'analyzer', 'state.json'));
  }
}
