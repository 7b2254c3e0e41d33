import { ConnectionPool, PoolTimeoutError, type PoolObserver } from './connection-pool';
import { startDatabaseServer, type DatabaseServer } from './database-server';

let db: DatabaseServer;
beforeAll(async () => {
  db = await startDatabaseServer();
});
afterAll(() => db.close());

const observer = (): PoolObserver & { timeouts: number } => {
  const o = { timeouts: 0, waited: () => undefined, created: () => undefined, used: () => undefined, timedOut: () => void o.timeouts++ };
  return o;
};

describe('ConnectionPool', () => {
  it('lends real connections to the database and takes them back', async () => {
    const pool = new ConnectionPool({ name: 'p', host: db.host, port: db.port, max: 2, min: 0, acquireTimeoutMs: 200 }, observer());
    const lease = await pool.acquire();
    expect(await lease.connection.query('SELECT * FROM items WHERE id = $1', [3])).toEqual([expect.objectContaining({ id: 3 })]);
    expect(pool.stats()).toMatchObject({ used: 1, max: 2 });
    lease.release();
    expect(pool.stats()).toMatchObject({ used: 0, idle: 1 });
    await pool.close();
  });

  it('while leaking, forgets released connections until acquisitions time out', async () => {
    const o = observer();
    const pool = new ConnectionPool({ name: 'p', host: db.host, port: db.port, max: 2, min: 0, acquireTimeoutMs: 150 }, o);
    pool.leaking = true;
    (await pool.acquire()).release();
    (await pool.acquire()).release();
    expect(pool.stats()).toMatchObject({ used: 2, leaked: 2 });
    const error = await pool.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect((error as Error).message).toMatch(/^timeout acquiring connection after \d+ ms \(pool p: 2\/2 in use/);
    expect(o.timeouts).toBe(1);
    expect(pool.stopLeak()).toBe(2);
    expect(pool.stats()).toMatchObject({ used: 0, leaked: 0, leaking: false });
    await pool.close();
  });

  it('closing destroys leaked connections too', async () => {
    const pool = new ConnectionPool({ name: 'p', host: db.host, port: db.port, max: 3, min: 0, acquireTimeoutMs: 150 }, observer());
    pool.leaking = true;
    for (let i = 0; i < 3; i++) (await pool.acquire()).release();
    expect(db.openConnections()).toBeGreaterThanOrEqual(3);
    await pool.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(db.openConnections()).toBe(0);
    await expect(pool.acquire()).rejects.toThrow(/recycled/);
  });
});
