/**
 * Request bodies as bytes, with a hard limit on what is read and on what a compressed body
 * inflates to: a gzip bomb (a small body that inflates past the limit) stops at the limit
 * with `SENTIERO_PAYLOAD_TOO_LARGE`, having allocated no more than that.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ErrorCode } from '@sentiero/protocol';
import { RelayError } from './errors.ts';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotliDecompress = promisify(zlib.brotliDecompress);

/** Reads a request body up to `limit` bytes; a larger one rejects with `SENTIERO_PAYLOAD_TOO_LARGE`. */
export function readBodyBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      reject(new RelayError(ErrorCode.PAYLOAD_TOO_LARGE, `the body is larger than ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new RelayError(ErrorCode.PAYLOAD_TOO_LARGE, `the body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function inflateFailed(err: unknown, limit: number): RelayError {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') return new RelayError(ErrorCode.PAYLOAD_TOO_LARGE, `the body inflates to more than ${limit} bytes`);
  return new RelayError(ErrorCode.BAD_ENCODING, `the body does not decompress: ${(err as Error).message}`);
}

/** Decodes a body by its `Content-Encoding` (gzip, deflate, br or identity), inflating to at most `limit` bytes. */
export async function decodeBody(body: Buffer, contentEncoding: string | undefined, limit: number): Promise<Buffer> {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  const options = { maxOutputLength: limit };
  try {
    switch (encoding) {
      case '':
      case 'identity': return body;
      case 'gzip':
      case 'x-gzip': return await gunzip(body, options);
      case 'br': return await brotliDecompress(body, options);
      case 'deflate':
        // RFC 9110's deflate is zlib-wrapped; some clients send raw deflate.
        try {
          return await inflate(body, options);
        } catch (err) {
          if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw err;
          return await inflateRaw(body, options);
        }
      default:
        throw new RelayError(ErrorCode.UNSUPPORTED_ENCODING, `Content-Encoding "${encoding.slice(0, 32)}" is not supported; use gzip, deflate, br or none`);
    }
  } catch (err) {
    if (err instanceof RelayError) throw err;
    throw inflateFailed(err, limit);
  }
}

/** Inflates bytes whose compression is not declared (zlib, gzip or raw deflate, told apart by their first bytes). */
export async function inflateAny(data: Buffer, limit: number): Promise<Buffer> {
  const options = { maxOutputLength: limit };
  try {
    if (data[0] === 0x1f && data[1] === 0x8b) return await gunzip(data, options);
    if (data[0] === 0x78) return await inflate(data, options);
    return await inflateRaw(data, options);
  } catch (err) {
    throw inflateFailed(err, limit);
  }
}

/** An ingest POST body as text: decoded by its `Content-Encoding`, or, without one, gunzipped when it starts with gzip's magic bytes (a beacon cannot set headers); at most `limit` bytes once inflated. */
export async function decodeIngestBody(body: Buffer, contentEncoding: string | undefined, limit: number): Promise<Buffer> {
  if (contentEncoding !== undefined && contentEncoding.trim() !== '') return decodeBody(body, contentEncoding, limit);
  return body[0] === 0x1f && body[1] === 0x8b ? decodeBody(body, 'gzip', limit) : body;
}
