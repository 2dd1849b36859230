import { brotliCompressSync, brotliDecompressSync, deflateSync, inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';

/**
 * kombu's compression (kombu.compression, 5.2): the message body is compressed after serializing, and the
 * `compression` header names the method by content type. kombu registers gzip and bzip2 always, brotli and zstd when
 * their Python modules import, and lzma (`application/x-lzma`, Python's xz container). camq reads and writes gzip,
 * bzip2 and brotli; it reads zstd but does not write it (no kept npm package compresses zstd synchronously); lzma,
 * which neither Node nor a kept pure package reads, is refused with a line that says so.
 */

export type CompressionName = 'gzip' | 'bzip2' | 'brotli';

/**
 * The most a body may decompress to: RabbitMQ's largest message (`max_message_size`, 128 MiB by default), since
 * nothing larger could have been sent uncompressed. A body past it (a compression bomb: 128 KiB of gzip inflate to
 * 128 MiB) is refused while it decompresses, before its output is held whole.
 */
export const MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;

/** A method camq can read: the codec of a `compression` header value. */
export interface Decompression {
  readonly name: CompressionName | 'zstd';
  /** The value of the `compression` header. */
  readonly contentType: string;
  /** Throws (one line) when the output would pass `maxBytes` (default MAX_DECOMPRESSED_BYTES). */
  decompress(body: Buffer, maxBytes?: number): Buffer;
}

function tooLarge(name: string, maxBytes: number): Error {
  return new RangeError(`the ${name} body decompresses to more than ${maxBytes} bytes, camq's limit for a message`);
}

/** node:zlib's own limit, said as the others say it. */
function zlibBounded(name: string, maxBytes: number, run: (options: { maxOutputLength: number }) => Buffer): Buffer {
  try {
    return run({ maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(name, maxBytes);
    throw err;
  }
}

/** A method camq can read and write. */
export interface Compression extends Decompression {
  readonly name: CompressionName;
  compress(body: Buffer): Buffer;
}

/** kombu's 'gzip' is zlib (`zlib.compress`: a zlib stream, not the gzip file format). */
const gzip: Compression = {
  name: 'gzip',
  contentType: 'application/x-gzip',
  compress: (body) => deflateSync(body),
  decompress: (body, maxBytes = MAX_DECOMPRESSED_BYTES) => zlibBounded('gzip', maxBytes, (o) => inflateSync(body, o)),
};

interface Bzip2Codec {
  compressFile(input: Uint8Array): ArrayLike<number>;
  decompressFile(input: Uint8Array, output: BoundedOutput): unknown;
}

/** compressjs's output stream (it writes byte by byte), growing to at most `maxBytes`. */
class BoundedOutput {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private length = 0;
  constructor(private readonly maxBytes: number) {}
  writeByte(byte: number): void {
    if (this.length === this.buf.length) {
      if (this.length >= this.maxBytes) throw tooLarge('bzip2', this.maxBytes);
      const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.buf[this.length++] = byte;
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
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
  decompress: (body, maxBytes = MAX_DECOMPRESSED_BYTES) => {
    const out = new BoundedOutput(maxBytes);
    bzip2Lib().decompressFile(body, out);
    return out.result();
  },
};

/** kombu's brotli is `brotli.compress`/`brotli.decompress`: a bare brotli stream, which is what Node's zlib speaks. */
const brotli: Compression = {
  name: 'brotli',
  contentType: 'application/x-brotli',
  compress: (body) => brotliCompressSync(body),
  decompress: (body, maxBytes = MAX_DECOMPRESSED_BYTES) => zlibBounded('brotli', maxBytes, (o) => brotliDecompressSync(body, o)),
};

interface ZstdStream {
  push(chunk: Uint8Array, final?: boolean): void;
}
let zstdStream: (new (ondata: (chunk: Uint8Array, final: boolean) => void) => ZstdStream) | undefined;
/**
 * fzstd (pure JavaScript zstd decoder), loaded on the first zstd message, by require as compressjs is, so the
 * celeryctl/camqadm bundles and JSON-only processes never load it. Its streaming decoder, so the output is counted
 * block by block (at most 128 KiB each) and a bomb stops at the limit; its one-shot decode sizes the output from
 * the frame header, which the sender writes.
 */
function zstdLib(): NonNullable<typeof zstdStream> {
  zstdStream ??= (createRequire(import.meta.url)('fzstd') as { Decompress: NonNullable<typeof zstdStream> }).Decompress;
  return zstdStream;
}

const zstd: Decompression = {
  name: 'zstd',
  contentType: 'application/zstd',
  decompress: (body, maxBytes = MAX_DECOMPRESSED_BYTES) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    let ended = false;
    const stream = new (zstdLib())((chunk, final) => {
      length += chunk.length;
      if (length > maxBytes) throw tooLarge('zstd', maxBytes);
      chunks.push(chunk);
      ended ||= final;
    });
    stream.push(body, true);
    if (!ended) throw new RangeError('the zstd body ends before its last block');
    return Buffer.concat(chunks, length);
  },
};

/** Names as kombu takes them (aliases included), for the methods camq writes. */
const BY_NAME: ReadonlyMap<string, Compression> = new Map([
  ['gzip', gzip],
  ['zlib', gzip],
  ['bzip2', bzip2],
  ['bzip', bzip2],
  ['brotli', brotli],
]);
const BY_CONTENT_TYPE: ReadonlyMap<string, Decompression> = new Map([gzip, bzip2, brotli, zstd].map((c) => [c.contentType, c]));

export const COMPRESSION_NAMES: readonly string[] = [...BY_NAME.keys()];

/** kombu's names for what camq cannot write, each with why, so a refusal can say so. */
const UNWRITABLE: ReadonlyMap<string, string> = new Map([
  ['lzma', 'camq cannot write lzma'],
  ['xz', 'camq cannot write lzma'],
  ['zstd', 'camq reads zstd but cannot write it'],
  ['zstandard', 'camq reads zstd but cannot write it'],
]);

export function compressionByName(name: string): Compression | undefined {
  return BY_NAME.get(name);
}

/** The codec for a `compression` header value, or why there is none (one line, what to do). */
export function compressionByContentType(contentType: unknown): Decompression | string {
  const found = typeof contentType === 'string' ? BY_CONTENT_TYPE.get(contentType) : undefined;
  if (found !== undefined) return found;
  const shown = typeof contentType === 'string' ? `'${contentType.slice(0, 64)}'` : (JSON.stringify(contentType) ?? String(contentType));
  return contentType === 'application/x-lzma'
    ? `the body is compressed with lzma (${shown}), which camq cannot read; send it with compression gzip, bzip2, brotli or zstd, or none`
    : `unknown compression ${shown}; camq reads gzip (application/x-gzip), bzip2 (application/x-bz2), brotli (application/x-brotli) and zstd (application/zstd)`;
}

/** Throws a one-line Error for a name kombu would not know either, or one camq cannot write. */
export function requireCompression(name: string): Compression {
  const found = BY_NAME.get(name);
  if (found !== undefined) return found;
  const why = UNWRITABLE.get(name) ?? 'unknown compression';
  throw new TypeError(`compression '${name}': ${why}; use one of ${COMPRESSION_NAMES.join(', ')}`);
}
