import * as http from 'node:http';

/** Where the synthetic load goes: weights over the business routes. */
export const TRAFFIC_MIX = [
  { path: '/checkout', weight: 0.4 },
  { path: '/catalog', weight: 0.4 },
  { path: '/stock', weight: 0.2 },
] as const;
export const ITEM_COUNT = 20;

const TICK_MS = 20;
const MAX_IN_FLIGHT = 2_000;
const REQUEST_TIMEOUT_MS = 15_000;

export interface TrafficGenerator {
  /** Requests sent so far. */
  sent(): number;
  stop(): Promise<void>;
}

export function pickRequest(random: () => number): string {
  let r = random();
  let path: string = TRAFFIC_MIX[0].path;
  for (const route of TRAFFIC_MIX) {
    path = route.path;
    if (r < route.weight) break;
    r -= route.weight;
  }
  return `${path}?item=${1 + Math.floor(random() * ITEM_COUNT)}`;
}

/**
 * A steady synthetic load on the shop's own routes over loopback, as an outside client would
 * send it (so it goes through the whole HTTP path and is measured like any other request).
 */
export function startTraffic(baseUrl: string, requestsPerSecond: number, random: () => number = Math.random): TrafficGenerator {
  let sent = 0;
  if (requestsPerSecond <= 0) return { sent: () => 0, stop: async () => undefined };
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  let inFlight = 0;
  let credit = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    credit += ((now - last) / 1_000) * requestsPerSecond;
    last = now;
    while (credit >= 1) {
      credit -= 1;
      if (inFlight >= MAX_IN_FLIGHT) continue;
      inFlight++;
      sent++;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        inFlight--;
      };
      const req = http.get(`${baseUrl}${pickRequest(random)}`, { agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        res.resume();
        res.on('end', finish);
        res.on('error', finish);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', finish);
    }
  }, TICK_MS);
  timer.unref();
  return {
    sent: () => sent,
    stop: async () => {
      clearInterval(timer);
      agent.destroy();
    },
  };
}
