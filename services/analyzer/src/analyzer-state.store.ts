import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EngineSnapshot } from './engine/analysis-engine';

/**
 * The analyzer's state on disk, under the data dir: written atomically (temp file + rename), so
 * a crash mid-write leaves the previous snapshot intact. A restarted analyzer continues where it
 * was; a target whose partition moved to another instance starts cold there (its detectors
 * re-learn during their warm-up) — give each replica its own volume (a StatefulSet) to keep
 * restarts warm.
 */
export class AnalyzerStateStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'analyzer', 'state.json');
  }

  async load(): Promise<EngineSnapshot | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as EngineSnapshot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read the analyzer state ${this.path}: ${String(error)}`);
    }
  }

  async save(snapshot: EngineSnapshot): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(snapshot));
    await rename(tmp, this.path);
  }
}
