// Just enough of RFC 6455 framing for a proxy that otherwise pipes bytes: follow frame boundaries in one
// direction of a proxied stream (to learn the close code, and to know when a close frame of our own can be
// inserted without cutting a frame in half), and build close frames. Payloads are skipped, never copied.

import { randomFillSync } from 'node:crypto';

const OPCODE_CLOSE = 0x8;
/** RFC 6455 §7.1.5: a close frame without a status code. */
export const CLOSE_NO_STATUS = 1005;
/** RFC 6455 §7.1.5: the connection ended without a close frame. */
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_GOING_AWAY = 1001;

export class FrameScanner {
  /** Bytes seen in this direction. */
  bytes = 0;
  /** Status code of the first close frame seen, if any. */
  closeCode: number | undefined;
  private remaining = 0;
  /** Up to 14 header bytes; the last two slots hold the close code while it is unmasked. */
  private readonly header = Buffer.allocUnsafe(16);
  private headerLength = 0;
  private capturing = false;
  private captured = 0;
  private maskOffset = 0;

  get atFrameBoundary(): boolean {
    return this.remaining === 0 && this.headerLength === 0;
  }

  scan(chunk: Buffer): void {
    this.bytes += chunk.length;
    let index = 0;
    while (index < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - index);
        if (this.capturing) this.capture(chunk, index, take);
        index += take;
        this.remaining -= take;
        continue;
      }
      this.header[this.headerLength++] = chunk[index++];
      const size = this.headerSize();
      if (size !== 0 && this.headerLength === size) this.startPayload(size);
    }
  }

  /** Total header size once the first two bytes are known, else 0. */
  private headerSize(): number {
    if (this.headerLength < 2) return 0;
    const length7 = this.header[1] & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const mask = this.header[1] & 0x80 ? 4 : 0;
    return 2 + extended + mask;
  }

  private startPayload(size: number): void {
    const length7 = this.header[1] & 0x7f;
    let length = length7;
    if (length7 === 126) length = this.header.readUInt16BE(2);
    // 64-bit lengths: the top two bytes are zero for anything a socket can carry.
    else if (length7 === 127) length = this.header.readUIntBE(4, 6);
    this.headerLength = 0;
    this.remaining = length;
    const isClose = (this.header[0] & 0x0f) === OPCODE_CLOSE && this.closeCode === undefined;
    if (!isClose) return;
    if (length < 2) {
      this.closeCode = CLOSE_NO_STATUS;
      return;
    }
    this.capturing = true;
    this.captured = 0;
    this.maskOffset = size - 4;
  }

  private capture(chunk: Buffer, index: number, take: number): void {
    const masked = (this.header[1] & 0x80) !== 0;
    for (let i = 0; i < take && this.captured < 2; i++, this.captured++) {
      this.header[14 + this.captured] = masked
        ? chunk[index + i] ^ this.header[this.maskOffset + this.captured]
        : chunk[index + i];
    }
    if (this.captured === 2) {
      this.closeCode = this.header.readUInt16BE(14);
      this.capturing = false;
    }
  }
}

/** A close frame; `masked` for frames we send to the upstream, as a client must (RFC 6455 §5.3). */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const reasonBytes = Buffer.from(reason).subarray(0, 123);
  const payload = Buffer.allocUnsafe(2 + reasonBytes.length);
  payload.writeUInt16BE(code, 0);
  reasonBytes.copy(payload, 2);
  const header = Buffer.from([0x80 | OPCODE_CLOSE, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomFillSync(Buffer.allocUnsafe(4));
  for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
  return Buffer.concat([header, mask, payload]);
}
