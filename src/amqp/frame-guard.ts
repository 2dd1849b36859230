import { amqplibFrame, type AmqplibConnectionInternals, type AmqplibFrame, type AmqplibRawFrame } from './amqplib-internals.js';
import { UNDECODABLE_HEADERS } from '../transport/transport-channel.js';

type AmqplibConnection = AmqplibConnectionInternals;
type RawFrame = AmqplibRawFrame;
type FrameModule = AmqplibFrame;

const FRAME_METHOD = 1;
const FRAME_HEADER = 2;
/** Content header payload: class id (2), weight (2), body size (8), then the property flags (2). */
const HEADER_FLAGS_OFFSET = 12;
const FLAG_CONTENT_TYPE = 0x8000;
const FLAG_CONTENT_ENCODING = 0x4000;
const FLAG_HEADERS = 0x2000;

/** amqplib's frame codec (an internal: amqplib-internals.ts), or null when it is not the one this was written for. */
function loadFrameModule(): FrameModule | null {
  try {
    return amqplibFrame();
  } catch {
    return null;
  }
}

/**
 * Make one amqplib connection survive frames its decoder cannot take. amqplib decodes field tables recursively, so a
 * header table nested ~9,000 deep throws RangeError (stack overflow) inside its read loop; amqplib then drops the
 * whole connection and the broker redelivers the message to the next consumer, forever. With the guard, a content
 * header whose table overflows is decoded without its table (it is length-prefixed, so it can be skipped without
 * recursing) and carries `UNDECODABLE_HEADERS` instead: the delivery reaches the consumer, which can reject it.
 * A method frame that overflows (no broker sends one) still ends the connection, with a message that says why.
 *
 * Returns false when amqplib's internals are not the ones this was written against (the connection then works as
 * before, unguarded).
 */
export function guardFrameDecoding(connection: unknown): boolean {
  const codec = loadFrameModule();
  const conn = connection as Partial<AmqplibConnection> | null;
  if (!codec || !conn || typeof conn.recvFrame !== 'function' || !Buffer.isBuffer(conn.rest)) return false;
  const target = conn as AmqplibConnection;
  // The same loop as amqplib's recvFrame (read until one whole frame is buffered, then decode it), iterative.
  target.recvFrame = function recvFrame(this: AmqplibConnection): unknown {
    for (;;) {
      const frame = codec.parseFrame(this.rest, this.maxFrameSize);
      if (frame) {
        this.rest = frame.rest;
        return decodeGuarded(codec, frame);
      }
      const incoming = this.stream.read();
      if (incoming === null) return false;
      this.recvSinceLastCheck = true;
      this.rest = Buffer.concat([this.rest, incoming]);
    }
  };
  return true;
}

function decodeGuarded(codec: FrameModule, frame: RawFrame): unknown {
  try {
    return codec.decodeFrame(frame);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    if (frame.type === FRAME_HEADER) {
      const stripped = withoutHeaderTable(frame.payload);
      if (stripped) {
        const decoded = codec.decodeFrame({ ...frame, payload: stripped, size: stripped.length }) as { fields: Record<string, unknown> };
        decoded.fields['headers'] = { [UNDECODABLE_HEADERS]: `the header table is nested too deep to decode (${err.message})` };
        return decoded;
      }
    }
    const kind = frame.type === FRAME_METHOD ? 'a method frame' : `a frame of type ${frame.type}`;
    throw new Error(`cannot decode ${kind} from the broker on channel ${frame.channel}: it is nested too deep (${err.message})`, { cause: err });
  }
}

/** A content header payload with its header table cut out (and its flag cleared); undefined when malformed. */
function withoutHeaderTable(payload: Buffer): Buffer | undefined {
  if (payload.length < HEADER_FLAGS_OFFSET + 2) return undefined;
  const flags = payload.readUInt16BE(HEADER_FLAGS_OFFSET);
  if (!(flags & FLAG_HEADERS)) return undefined;
  let offset = HEADER_FLAGS_OFFSET + 2;
  for (const flag of [FLAG_CONTENT_TYPE, FLAG_CONTENT_ENCODING]) {
    if (!(flags & flag)) continue;
    if (offset >= payload.length) return undefined;
    offset += 1 + payload.readUInt8(offset);
  }
  if (offset + 4 > payload.length) return undefined;
  const tableEnd = offset + 4 + payload.readUInt32BE(offset);
  if (tableEnd > payload.length) return undefined;
  const out = Buffer.concat([payload.subarray(0, offset), payload.subarray(tableEnd)]);
  out.writeUInt16BE(flags & ~FLAG_HEADERS, HEADER_FLAGS_OFFSET);
  return out;
}
