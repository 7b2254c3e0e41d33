import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The header carrying how many times a call was already tried (0 on the first attempt). */
export const RETRY_ATTEMPT_HEADER = 'x-retry-attempt';

const LATENCY_MS = { items: [15, 30], stock: [5, 15], slowItems: [1_900, 2_100] } as const;

/**
 * How the inventory degrades under the retry-storm fault. Short blips (it "fails
 * intermittently") start it, and from then on it is the callers' retries that keep it down:
 * the inventory has `HEADROOM` over its organic load (first attempts); when retries push the
 * load past that, it falls into congestion collapse and fails most attempts until the
 * amplification drops. Immediate, unbudgeted retries turn every blip into a collapse that feeds
 * itself; a budget caps the amplification below the headroom, and a backoff steps over blips.
 * The amplification is measured over 2 s: over 1 s, at the demo's 15 inventory calls/s, the
 * retries of a blip that happened to catch a few more calls than usual crossed the headroom, and
 * a caller with a budget fell back into collapse for a moment every half minute or so.
 */
export const STORM = {
  blipEveryMs: 2_000,
  blipMs: 150,
  headroom: 0.25,
  windowMs: 2_000,
  minFirstAttempts: 5,
  collapseFailure: 0.9,
} as const;

export interface InventoryFaults {
  /** slow-dependency: item lookups take ~2 s. */
  slow: boolean;
  /** retry-storm: blips and congestion collapse, see STORM. */
  stormSince: number | null;
}

export interface InventoryServer {
  readonly url: string;
  readonly faults: InventoryFaults;
  /** Whether the inventory is in congestion collapse right now (for tests and logs). */
  collapsed(): boolean;
  close(): Promise<void>;
}

export interface InventoryOptions {
  host?: string;
  now?: () => number;
  random?: () => number;
}

/** Attempts seen over the last window, first attempts and retries apart. */
export class LoadMeter {
  private readonly seen: Array<{ at: number; retry: boolean }> = [];

  record(at: number, retry: boolean): void {
    this.seen.push({ at, retry });
  }

  amplification(now: number, windowMs: number): { firstAttempts: number; retries: number } {
    while (this.seen.length > 0 && (this.seen[0]?.at ?? now) <= now - windowMs) this.seen.shift();
    let retries = 0;
    for (const s of this.seen) if (s.retry) retries++;
    return { firstAttempts: this.seen.length - retries, retries };
  }
}

export function isCollapsed(load: { firstAttempts: number; retries: number }): boolean {
  return load.firstAttempts >= STORM.minFirstAttempts && load.retries > STORM.headroom * load.firstAttempts;
}

/**
 * Congestion collapse is sticky: once in it, the inventory leaves it only after a window of real
 * traffic within its headroom. A pause in traffic (the shop restarting) proves nothing, so a
 * restart of the caller does not end a retry storm; changing how the caller retries does.
 */
export class CollapseState {
  private collapsed = false;

  update(load: { firstAttempts: number; retries: number }): boolean {
    if (!this.collapsed) this.collapsed = isCollapsed(load);
    else if (load.firstAttempts >= STORM.minFirstAttempts && load.retries <= STORM.headroom * load.firstAttempts) this.collapsed = false;
    return this.collapsed;
  }

  get active(): boolean {
    return this.collapsed;
  }

  reset(): void {
    this.collapsed = false;
  }
}

export function inBlip(now: number, since: number): boolean {
  return (now - since) % STORM.blipEveryMs < STORM.blipMs;
}

/** The downstream dependency: a second HTTP server on loopback, as `inventory`. */
export async function startInventoryServer(options: InventoryOptions = {}): Promise<InventoryServer> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const faults: InventoryFaults = { slow: false, stormSince: null };
  const load = new LoadMeter();
  const collapse = new CollapseState();
  const collapsed = (): boolean => faults.stormSince !== null && collapse.active;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://inventory');
    const match = /^\/(items|stock)\/(\d+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      return;
    }
    const kind = match[1] as 'items' | 'stock';
    const id = Number(match[2]);
    const attempt = Number(req.headers[RETRY_ATTEMPT_HEADER] ?? 0);
    const t = now();
    load.record(t, attempt > 0);
    if (faults.stormSince === null) collapse.reset();
    else {
      const overloaded = collapse.update(load.amplification(t, STORM.windowMs)) && random() < STORM.collapseFailure;
      if (overloaded || inBlip(t, faults.stormSince)) {
        // Failing fast, as an overloaded service sheds load: an immediate retry lands in the same blip.
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: overloaded ? 'overloaded' : 'unavailable' }));
        return;
      }
    }
    const [lo, hi] = kind === 'items' ? (faults.slow ? LATENCY_MS.slowItems : LATENCY_MS.items) : LATENCY_MS.stock;
    setTimeout(
      () => {
        const body = kind === 'items' ? { id, name: `item-${id}`, price: 10 + (id % 5) } : { id, available: 40 + (id % 7) };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
      lo + random() * (hi - lo),
    );
  });
  server.keepAliveTimeout = 30_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    faults,
    collapsed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
