import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from './ports';

describe('freePort', () => {
  it('gives a port that can be listened on, outside the range outgoing connections draw from', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => server.close(r));
    let range: number[] | undefined;
    try {
      range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    } catch {
      return; // not Linux: only the first half applies
    }
    const [low, high] = range as [number, number];
    expect(port < low || port > high).toBe(true);
  });
});
