import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, type InputType, type ZlibOptions } from 'node:zlib';
import type { OtlpEncoding } from '@homeostat/otlp';
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
 * inflate to, so neither a huge upload nor a small gzip bomb can exhaust memory.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity' && encoding !== '') {
    throw new CollectorError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${encoding}" is not supported (use gzip or none)`);
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new CollectorError('PAYLOAD_TOO_LARGE', `the body is ${declared} bytes, more than the limit of ${limit}`);
  const raw = await collect(req, limit);
  if (encoding !== 'gzip') return raw;
  try {
    return await gunzip(raw, { maxOutputLength: limit });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new CollectorError('PAYLOAD_TOO_LARGE', `the body inflates to more than the limit of ${limit} bytes`);
    }
    throw new CollectorError('MALFORMED', `the gzip body cannot be decompressed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function collect(req: IncomingMessage, limit: number): Promise<Buffer> {
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
      resolve(chunks.length === 1 && first ? first : Buffer.concat(chunks, size));
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
