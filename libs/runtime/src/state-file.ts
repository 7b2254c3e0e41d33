import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A stage's state in one JSON file under the data dir, replaced atomically (write, fsync, rename)
 * so a crash mid-write leaves the previous version; saves are serialised, so overlapping saves
 * never race on the temp file and the file never goes back in time.
 */
export class JsonStateFile<T> {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** The saved value, or undefined when there is none yet. */
  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read ${this.path}: ${String(error)}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`${this.path} is not valid JSON (${String(error)}): move it away to start from scratch`);
    }
  }

  /** Resolves once this value (or a later one) is durable. */
  save(value: T): Promise<void> {
    const text = JSON.stringify(value);
    const next = this.writing.then(() => this.write(text));
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async write(text: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(text);
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.path);
  }
}
