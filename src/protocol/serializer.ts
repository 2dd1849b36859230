import { createRequire } from 'node:module';
import type { Tags } from 'yaml';
import { JSON_CONTENT_TYPE, PICKLE_CONTENT_TYPE } from './amqp-message.js';

/**
 * kombu's serializers (kombu.serialization, 5.2): each name with the content type and encoding it writes, and a
 * codec. Pickle is named so a refusal can say what it was; it has no codec, and camq never decodes it.
 */

export const MSGPACK_CONTENT_TYPE = 'application/x-msgpack';
export const YAML_CONTENT_TYPE = 'application/x-yaml';

/**
 * The msgpack and YAML packages, loaded on first use: every camq command imports the protocol layer, and only a
 * message in one of these serializers needs them (JSON-only processes start and run as before).
 */
const load = createRequire(import.meta.url);
let msgpackLib: typeof import('@msgpack/msgpack') | undefined;
let yamlLib: typeof import('yaml') | undefined;
const msgpackCodec = () => (msgpackLib ??= load('@msgpack/msgpack') as typeof import('@msgpack/msgpack'));
const yamlCodec = () => (yamlLib ??= load('yaml') as typeof import('yaml'));

export type SerializerName = 'json' | 'msgpack' | 'yaml';
export const SERIALIZER_NAMES: readonly SerializerName[] = ['json', 'msgpack', 'yaml'];

export interface Serializer {
  readonly name: SerializerName;
  readonly contentType: string;
  /** The `content_encoding` kombu writes: text serializers 'utf-8', binary ones 'binary'. */
  readonly contentEncoding: 'utf-8' | 'binary';
  /** Throws on a value it cannot encode (a cycle, nesting past what the encoder walks). */
  encode(value: unknown): Buffer;
  /** Throws an Error whose message says what is wrong with the body. */
  decode(body: Buffer): unknown;
}

const json: Serializer = {
  name: 'json',
  contentType: JSON_CONTENT_TYPE,
  contentEncoding: 'utf-8',
  encode: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
  decode: (body) => JSON.parse(body.toString('utf8')) as unknown,
};

/** kombu: `packb(value, use_bin_type=True)` / `unpackb(body, raw=False)`; maps become plain objects. */
const msgpack: Serializer = {
  name: 'msgpack',
  contentType: MSGPACK_CONTENT_TYPE,
  contentEncoding: 'binary',
  encode: (value) => {
    const bytes = msgpackCodec().encode(value, { ignoreUndefined: false });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  decode: (body) => msgpackCodec().decode(body, { useBigInt64: false }),
};

/** Aliases a hostile body could multiply into a huge value (a "billion laughs"); PyYAML's safe_dump writes none. */
const MAX_YAML_ALIASES = 100;

/**
 * PyYAML's booleans (its Resolver): YAML 1.1 as PyYAML reads it, where a lone `y` or `n` is a string (the yaml
 * package's YAML 1.1 makes them booleans, which turned a key `n` into `false`).
 */
const PYYAML_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PYYAML_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
function pyyamlTags(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:bool' || !('test' in tag) || tag.test === undefined) return tag;
    return { ...tag, test: tag.test.test('y') ? PYYAML_TRUE : PYYAML_FALSE };
  });
}

/**
 * kombu: `yaml.safe_dump` / `yaml.safe_load`, YAML 1.1. The loader builds plain data only: any tag outside YAML
 * 1.1's own (`!!python/object`, a custom `!Thing`) refuses the whole body instead of being kept as a string.
 */
const yaml: Serializer = {
  name: 'yaml',
  contentType: YAML_CONTENT_TYPE,
  contentEncoding: 'utf-8',
  encode: (value) => Buffer.from(yamlCodec().stringify(value, { schema: 'yaml-1.1' }), 'utf8'),
  decode: (body) => {
    const doc = yamlCodec().parseDocument(body.toString('utf8'), { schema: 'yaml-1.1', customTags: pyyamlTags, prettyErrors: false });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) throw new Error(problem.message.split('\n')[0]);
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
  },
};

const BY_NAME: Readonly<Record<SerializerName, Serializer>> = { json, msgpack, yaml };
const BY_CONTENT_TYPE: ReadonlyMap<string, Serializer> = new Map(Object.values(BY_NAME).map((s) => [s.contentType, s]));

export const JSON_SERIALIZER = json;

/** The serializer for a name (`'msgpack'`), or undefined for one camq does not speak (pickle among them). */
export function serializerByName(name: string): Serializer | undefined {
  return Object.hasOwn(BY_NAME, name) ? BY_NAME[name as SerializerName] : undefined;
}

export function serializerByContentType(contentType: string): Serializer | undefined {
  return BY_CONTENT_TYPE.get(contentType);
}

/** What a refusal calls a content type: kombu's serializer name where it has one (`pickle`), else the type. */
export function contentTypeLabel(contentType: string): string {
  if (contentType === PICKLE_CONTENT_TYPE) return 'pickle';
  return BY_CONTENT_TYPE.get(contentType)?.name ?? contentType;
}

/**
 * The content types a worker decodes, from serializer names or content types as Celery's `accept_content` takes
 * them. Throws on a name camq does not speak, pickle included (camq never unpickles).
 */
export function acceptContent(names: readonly string[]): ReadonlySet<string> {
  const types = new Set<string>();
  for (const name of names) {
    const serializer = serializerByName(name) ?? serializerByContentType(name);
    if (serializer === undefined) {
      const why = name === 'pickle' || name === PICKLE_CONTENT_TYPE ? 'camq never deserializes pickle' : `camq speaks ${SERIALIZER_NAMES.join(', ')}`;
      throw new Error(`accept_content: unknown serializer '${name}' (${why})`);
    }
    types.add(serializer.contentType);
  }
  return types;
}

/** Celery's default `accept_content`: JSON only. */
export const DEFAULT_ACCEPT: ReadonlySet<string> = new Set([JSON_CONTENT_TYPE]);
