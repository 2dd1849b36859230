import { deflateSync, inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';

/**
 * kombu's compression (kombu.compression, 5.2): the message body is compressed after serializing, and the
 * `compression` header names the method by content type. kombu also registers lzma (`application/x-lzma`, Python's
 * xz container), which neither Node nor a kept pure package reads: refused with a line that says so.
 */

export type CompressionName = 'gzip' | 'bzip2';

export interface Compression {
  readonly name: CompressionName;
  /** The value of the `compression` header. */
  readonly contentType: string;
  compress(body: Buffer): Buffer;
  decompress(body: Buffer): Buffer;
}

/** kombu's 'gzip' is zlib (`zlib.compress`: a zlib stream, not the gzip file format). */
const gzip: Compression = {
  name: 'gzip',
  contentType: 'application/x-gzip',
  compress: (body) => deflateSync(body),
  decompress: (body) => inflateSync(body),
};

interface Bzip2Codec {
  compressFile(input: Uint8Array): ArrayLike<number>;
  decompressFile(input: Uint8Array): ArrayLike<number>;
}
let bzip2Codec: Bzip2Codec | undefined;
/**
 * compressjs (pure JavaScript bzip2, both ways), loaded on first use: it is an AMD module that loads its parts by
 * file at run time, so it cannot go into the celeryctl/camqadm bundles, and only bzip2 messages need it.
 */
function bzip2Lib(): Bzip2Codec {
  bzip2Codec ??= (createRequire(import.meta.url)('compressjs') as { Bzip2: Bzip2Codec }).Bzip2;
  return bzip2Codec;
}

const bzip2: Compression = {
  name: 'bzip2',
  contentType: 'application/x-bz2',
  compress: (body) => Buffer.from(bzip2Lib().compressFile(body) as Uint8Array),
  decompress: (body) => Buffer.from(bzip2Lib().decompressFile(body) as Uint8Array),
};

/** Names as kombu takes them (aliases included). */
const BY_NAME: ReadonlyMap<string, Compression> = new Map([
  ['gzip', gzip],
  ['zlib', gzip],
  ['bzip2', bzip2],
  ['bzip', bzip2],
]);
const BY_CONTENT_TYPE: ReadonlyMap<string, Compression> = new Map([gzip, bzip2].map((c) => [c.contentType, c]));

export const COMPRESSION_NAMES: readonly string[] = [...BY_NAME.keys()];

/** kombu's names for what camq cannot read, so a refusal can say what it was. */
const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['lzma', 'application/x-lzma'],
  ['xz', 'application/x-lzma'],
]);

export function compressionByName(name: string): Compression | undefined {
  return BY_NAME.get(name);
}

/** The codec for a `compression` header value, or why there is none (one line, what to do). */
export function compressionByContentType(contentType: unknown): Compression | string {
  const found = typeof contentType === 'string' ? BY_CONTENT_TYPE.get(contentType) : undefined;
  if (found !== undefined) return found;
  const shown = typeof contentType === 'string' ? `'${contentType.slice(0, 64)}'` : (JSON.stringify(contentType) ?? String(contentType));
  const lzma = typeof contentType === 'string' && [...UNSUPPORTED.values()].includes(contentType);
  return lzma
    ? `the body is compressed with lzma (${shown}), which camq cannot read; send it with compression gzip or bzip2, or none`
    : `unknown compression ${shown}; camq reads gzip (application/x-gzip) and bzip2 (application/x-bz2)`;
}

/** Throws a one-line Error for a name kombu would not know either, or one camq cannot write. */
export function requireCompression(name: string): Compression {
  const found = BY_NAME.get(name);
  if (found !== undefined) return found;
  const why = UNSUPPORTED.has(name) ? 'camq cannot write lzma' : 'unknown compression';
  throw new TypeError(`compression '${name}': ${why}; use one of ${COMPRESSION_NAMES.join(', ')}`);
}
