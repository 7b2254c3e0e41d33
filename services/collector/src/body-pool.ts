/**
 * Memory for request bodies, reused from one request to the next.
 *
 * A body that arrives in more than one chunk has to be put together in one buffer (the protobuf
 * reader and the bus want contiguous bytes). Fresh memory for each body costs far more than the
 * copy itself: new pages are cold in the caches, and every few dozen MiB of new buffers make V8
 * collect garbage ("external memory pressure"). Measured on the ingest benchmark's 370 KiB
 * bodies, about a sixth of the collector's CPU per request went there. So bodies are copied into
 * buffers that come back here once nothing reads them any more (see PublishBatchOptions.release
 * on the bus), in power-of-two size classes from 64 KiB, keeping at most `maxPooledBytes` of
 * free buffers; a body larger than that, or any body when it is 0, gets fresh memory.
 */
export interface PooledBytes {
  readonly bytes: Buffer;
  /** Gives the memory back; only the first call counts. Nothing may read `bytes` afterwards. */
  release(): void;
}

export interface BodyPoolOptions {
  /** Free buffers kept for reuse, in bytes (0: no reuse). */
  maxPooledBytes: number;
  /**
   * Overwrite a buffer when it is given back, so that a reader that kept the bytes past their
   * release reads garbage (and fails to decode) instead of another request's data: for tests.
   */
  poison?: boolean;
}

export interface BodyPoolStats {
  /** Buffers handed out from the pool / freshly allocated for it. */
  reused: number;
  allocated: number;
  /** Free bytes held now. */
  pooledBytes: number;
}

const SMALLEST_CLASS = 64 * 1024;
export const POISON_BYTE = 0xde;

export class BodyPool {
  /** Free buffers by size class. */
  private readonly free = new Map<number, Buffer[]>();
  private readonly stats_: BodyPoolStats = { reused: 0, allocated: 0, pooledBytes: 0 };

  constructor(private readonly options: BodyPoolOptions) {
    if (!Number.isSafeInteger(options.maxPooledBytes) || options.maxPooledBytes < 0) {
      throw new RangeError(`maxPooledBytes must be a non-negative integer, not ${options.maxPooledBytes}`);
    }
  }

  /** `size` bytes (uninitialised), pooled when the pool may hold a buffer of that size. */
  acquire(size: number): PooledBytes {
    const sizeClass = classOf(size);
    if (sizeClass > this.options.maxPooledBytes) return { bytes: Buffer.allocUnsafeSlow(size), release: () => undefined };
    let buffer = this.free.get(sizeClass)?.pop();
    if (buffer) {
      this.stats_.reused++;
      this.stats_.pooledBytes -= sizeClass;
    } else {
      this.stats_.allocated++;
      buffer = Buffer.allocUnsafeSlow(sizeClass);
    }
    const owned = buffer;
    let released = false;
    return {
      bytes: owned.subarray(0, size),
      release: () => {
        if (released) return;
        released = true;
        this.giveBack(owned);
      },
    };
  }

  stats(): BodyPoolStats {
    return { ...this.stats_ };
  }

  private giveBack(buffer: Buffer): void {
    if (this.options.poison) buffer.fill(POISON_BYTE);
    // Over the cap the buffer is left to the garbage collector.
    if (this.stats_.pooledBytes + buffer.length > this.options.maxPooledBytes) return;
    const list = this.free.get(buffer.length);
    if (list) list.push(buffer);
    else this.free.set(buffer.length, [buffer]);
    this.stats_.pooledBytes += buffer.length;
  }
}

/** The smallest power of two ≥ size, and at least SMALLEST_CLASS. */
function classOf(size: number): number {
  let c = SMALLEST_CLASS;
  while (c < size) c *= 2;
  return c;
}
