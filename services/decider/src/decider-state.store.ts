import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DeciderSnapshot } from './decider-core';

/**
 * The decider's state on disk (policy state and open cases), written atomically after changes,
 * so a restart keeps what the loop learned, its guardrail counters and its pending chains. The
 * knowledge itself is also on the compacted loop.knowledge topic and in the learner's ledger.
 */
export class DeciderStateStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'decider', 'state.json');
  }

  async load(): Promise<DeciderSnapshot | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as DeciderSnapshot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read the decider state ${this.path}: ${String(error)}`);
    }
  }

  async save(snapshot: DeciderSnapshot): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(snapshot));
    await rename(tmp, this.path);
  }
}
