import { encodeJson, jsonProperties, type HeaderTable, type MessageProperties } from './amqp-message.js';
import { requireCompression } from './compression.js';
import { serializerByName, SERIALIZER_NAMES, type SerializerName } from './serializer.js';

/** How a sent body is written: kombu's `serializer=` and `compression=` options. */
export interface BodyFormat {
  /** @defaultValue 'json' */
  readonly serializer?: SerializerName | undefined;
  /** kombu's names: 'gzip' (alias 'zlib'), 'bzip2' (alias 'bzip'), 'brotli'. @defaultValue none */
  readonly compression?: string | undefined;
}

/** The serializer for a name, or a one-line TypeError naming the ones camq speaks. */
export function requireSerializer(name: string) {
  const serializer = serializerByName(name);
  if (serializer === undefined) {
    const why = name === 'pickle' ? 'camq never writes pickle' : 'unknown serializer';
    throw new TypeError(`serializer '${name}': ${why}; use one of ${SERIALIZER_NAMES.join(', ')}`);
  }
  return serializer;
}

/**
 * Serialize `value` and compress it as kombu's Producer does: the content type and encoding of the serializer, and
 * a `compression` header naming the method (merged into `extra.headers`). Throws on an unknown name.
 */
export function encodeBody(
  value: unknown,
  format: BodyFormat,
  extra: MessageProperties,
): { readonly content: Buffer; readonly properties: MessageProperties } {
  // JSON, uncompressed: the default and the hot path, without a codec lookup.
  if ((format.serializer === undefined || format.serializer === 'json') && format.compression === undefined) {
    return { content: encodeJson(value), properties: jsonProperties(extra) };
  }
  const serializer = requireSerializer(format.serializer ?? 'json');
  let content = serializer.encode(value);
  let headers: HeaderTable | undefined = extra.headers;
  if (format.compression !== undefined) {
    const codec = requireCompression(format.compression);
    content = codec.compress(content);
    headers = { ...(headers ?? {}), compression: codec.contentType };
  }
  return {
    content,
    properties: {
      contentType: serializer.contentType,
      contentEncoding: serializer.contentEncoding,
      priority: 0,
      ...extra,
      ...(headers !== undefined ? { headers } : {}),
    },
  };
}
