import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's range for outgoing connections' local ports. A port chosen inside it can be taken by
 * any client connection (a Kafka client's, a fetch's) between the moment it is chosen and the moment
 * the child process that was told to use it listens: CI lost a run to that (EADDRINUSE).
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) && low <= high) return [low, high];
  } catch {
    // Not Linux: fall through to the IANA dynamic range, which macOS and Windows use.
  }
  return [49_152, 65_535];
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free loopback port for a process that will listen on it later. It is drawn at random below the
 * ephemeral range (10000 and up), so no outgoing connection takes it meanwhile; only another listener
 * that picks the same port can, which a random draw over thousands of ports makes rare. When that
 * space is unusable it falls back to a port the kernel chooses.
 */
export async function freePort(): Promise<number> {
  const [low, high] = ephemeralRange();
  const [from, to] = low > 11_000 ? [10_000, low - 1] : [high + 1, 65_535];
  if (to - from > 100) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await tryListen(from + Math.floor(Math.random() * (to - from + 1)));
      if (port !== undefined) return port;
    }
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}
