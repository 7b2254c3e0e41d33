import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { BodyPool } from './body-pool';
import { CollectorError } from './collector.errors';
import { readBody } from './request-body';

/** A request whose body arrives in the given chunks, with the given headers. */
function requestOf(chunks: Buffer[], headers: Record<string, string> = {}): IncomingMessage {
  const stream = new PassThrough();
  const req = Object.assign(stream, { headers }) as unknown as IncomingMessage;
  setImmediate(() => {
    for (const c of chunks) stream.write(c);
    stream.end();
  });
  return req;
}

const bytes = (n: number, seed = 1): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof CollectorError ? e.code : String(e)),
  );

describe('readBody', () => {
  it('given a body in one chunk, returns that chunk (no copy)', async () => {
    const body = bytes(1000);
    expect((await readBody(requestOf([body], { 'content-length': '1000' }), 10_000, new BodyPool({ maxPooledBytes: 1 << 20 }))).bytes).toBe(
      body,
    );
  });

  it('given a Content-Length and many chunks, returns the bytes in order', async () => {
    const body = bytes(300_000);
    const chunks = [body.subarray(0, 65_536), body.subarray(65_536, 70_000), body.subarray(70_000, 200_000), body.subarray(200_000)];
    const read = await readBody(requestOf(chunks, { 'content-length': String(body.length) }), 1_000_000);
    expect(read.bytes.equals(body)).toBe(true);
  });

  it('given no Content-Length (chunked transfer), returns the bytes in order', async () => {
    const body = bytes(10_000, 7);
    const read = await readBody(requestOf([body.subarray(0, 3), body.subarray(3, 5000), body.subarray(5000)]), 1_000_000);
    expect(read.bytes.equals(body)).toBe(true);
  });

  it('given more bytes than the Content-Length said, still returns all of them', async () => {
    const body = bytes(5000, 3);
    const read = await readBody(
      requestOf([body.subarray(0, 1000), body.subarray(1000, 2000), body.subarray(2000)], { 'content-length': '2000' }),
      1_000_000,
    );
    expect(read.bytes.equals(body)).toBe(true);
  });

  it('given a gzip body in chunks, returns it inflated', async () => {
    const body = bytes(200_000, 5);
    const gz = gzipSync(body);
    const chunks = [gz.subarray(0, 100), gz.subarray(100, 2000), gz.subarray(2000)];
    const read = await readBody(requestOf(chunks, { 'content-length': String(gz.length), 'content-encoding': 'gzip' }), 1_000_000);
    expect(read.bytes.equals(body)).toBe(true);
  });

  it('given a pool, puts a body in chunks together in pooled memory, which the next body reuses once released', async () => {
    const pool = new BodyPool({ maxPooledBytes: 1 << 20 });
    const first = bytes(100_000, 1);
    const second = bytes(90_000, 2);
    const a = await readBody(requestOf([first.subarray(0, 70_000), first.subarray(70_000)]), 1_000_000, pool);
    expect(a.bytes.equals(first)).toBe(true);
    a.release();
    const b = await readBody(requestOf([second.subarray(0, 10), second.subarray(10)]), 1_000_000, pool);
    expect(b.bytes.equals(second)).toBe(true);
    expect(b.bytes.buffer).toBe(a.bytes.buffer);
    expect(pool.stats()).toMatchObject({ allocated: 1, reused: 1 });
  });

  it('given a pool and a gzip body in chunks, gives the compressed bytes back once inflated', async () => {
    const pool = new BodyPool({ maxPooledBytes: 1 << 20 });
    const body = bytes(200_000, 5);
    const gz = gzipSync(body);
    const read = await readBody(requestOf([gz.subarray(0, 100), gz.subarray(100)], { 'content-encoding': 'gzip' }), 1_000_000, pool);
    expect(read.bytes.equals(body)).toBe(true);
    expect(pool.stats()).toMatchObject({ allocated: 1, pooledBytes: 64 * 1024 });
  });

  it('refuses with PAYLOAD_TOO_LARGE a declared length over the limit, a body growing past it, and gzip inflating past it', async () => {
    expect(await codeOf(readBody(requestOf([bytes(10)], { 'content-length': '2000' }), 1000))).toBe('PAYLOAD_TOO_LARGE');
    expect(await codeOf(readBody(requestOf([bytes(600), bytes(600)]), 1000))).toBe('PAYLOAD_TOO_LARGE');
    expect(await codeOf(readBody(requestOf([bytes(600), bytes(600)], { 'content-length': '600' }), 1000))).toBe('PAYLOAD_TOO_LARGE');
    const bomb = gzipSync(Buffer.alloc(100_000));
    expect(await codeOf(readBody(requestOf([bomb], { 'content-length': String(bomb.length), 'content-encoding': 'gzip' }), 10_000))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('refuses other encodings (UNSUPPORTED_MEDIA_TYPE) and bad gzip (MALFORMED)', async () => {
    expect(await codeOf(readBody(requestOf([bytes(10)], { 'content-encoding': 'br' }), 1000))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await codeOf(readBody(requestOf([bytes(10)], { 'content-encoding': 'gzip' }), 1000))).toBe('MALFORMED');
  });
});
