import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, type InputType, type ZlibOptions } from 'node:zlib';
import type { OtlpEncoding } from '@homeostat/otlp';
import type { BodyPool, PooledBytes } from './body-pool';
import { CollectorError } from './collector.errors';

const gunzip = promisify<InputType, ZlibOptions, Buffer>(gunzipCallback);

/** The OTLP encoding of a Content-Type, or undefined when OTLP/HTTP does not define it. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

/**
 * Reads a request body with a size cap on the bytes received and, for gzip, on the bytes they
 * inflate to, so neither a huge upload nor a small gzip bomb can exhaust memory. A body that
 * came in several chunks is put together in memory from `pool` when given: the caller releases
 * it once nothing reads it any more (a body in one chunk, or inflated, is not pooled: its
 * release does nothing).
 */
export async function readBody(req: IncomingMessage, limit: number, pool?: BodyPool): Promise<PooledBytes> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity' && encoding !== '') {
    throw new CollectorError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${encoding}" is not supported (use gzip or none)`);
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new CollectorError('PAYLOAD_TOO_LARGE', `the body is ${declared} bytes, more than the limit of ${limit}`);
  const raw = await collect(req, limit, pool);
  if (encoding !== 'gzip') return raw;
  try {
    return unpooled(await gunzip(raw.bytes, { maxOutputLength: limit }));
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new CollectorError('PAYLOAD_TOO_LARGE', `the body inflates to more than the limit of ${limit} bytes`);
    }
    throw new CollectorError(
      'MALFORMED',
      `the gzip body cannot be decompressed: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    raw.release();
  }
}

const unpooled = (bytes: Buffer): PooledBytes => ({ bytes, release: () => undefined });

function collect(req: IncomingMessage, limit: number, pool: BodyPool | undefined): Promise<PooledBytes> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(new CollectorError('PAYLOAD_TOO_LARGE', `the body is more than the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const [first] = chunks;
      if (chunks.length === 1 && first) return resolve(unpooled(first));
      if (!pool) return resolve(unpooled(Buffer.concat(chunks, size)));
      const body = pool.acquire(size);
      let offset = 0;
      for (const chunk of chunks) offset += chunk.copy(body.bytes, offset);
      resolve(body);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
