// The frame scanner the proxy runs beside each WebSocket pipe: it must find frame boundaries and the first close
// code however TCP splits the bytes, masked or not, with 7-, 16- and 64-bit lengths.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLOSE_NO_STATUS, FrameScanner, closeFrame } from '../../proxy/websocket-frames.js';

function frame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  const length = payload.length;
  const lengthBytes =
    length < 126
      ? Buffer.from([length])
      : length < 65536
        ? Buffer.from([126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([127]), bigLength(length)]);
  lengthBytes[0] |= masked ? 0x80 : 0;
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = masked ? Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4])) : payload;
  return Buffer.concat([Buffer.from([0x80 | opcode]), lengthBytes, masked ? mask : Buffer.alloc(0), body]);
}

function bigLength(length: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(length));
  return buffer;
}

function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code);
  payload.write(reason, 2);
  return payload;
}

/** Feeds the bytes in pieces of `size` (1 = byte by byte). */
function scanInPieces(scanner: FrameScanner, bytes: Buffer, size: number): void {
  for (let offset = 0; offset < bytes.length; offset += size) scanner.scan(bytes.subarray(offset, offset + size));
}

describe('FrameScanner', () => {
  for (const masked of [false, true]) {
    for (const piece of [1, 3, 7, 100_000]) {
      test(`finds the close code after text, 16- and 64-bit frames (${masked ? 'masked' : 'unmasked'}, pieces of ${piece})`, () => {
        const bytes = Buffer.concat([
          frame(0x1, Buffer.from('[2,"1","Heartbeat",{}]'), masked),
          frame(0x2, Buffer.alloc(300, 1), masked),
          frame(0x2, Buffer.alloc(70_000, 2), masked),
          frame(0x8, closePayload(4001, 'bye'), masked),
        ]);
        const scanner = new FrameScanner();
        scanInPieces(scanner, bytes, piece);
        assert.equal(scanner.closeCode, 4001);
        assert.equal(scanner.bytes, bytes.length);
        assert.equal(scanner.atFrameBoundary, true);
      });
    }
  }

  test('a close frame without a code is 1005', () => {
    const scanner = new FrameScanner();
    scanner.scan(frame(0x8, Buffer.alloc(0), true));
    assert.equal(scanner.closeCode, CLOSE_NO_STATUS);
  });

  test('keeps the first close code', () => {
    const scanner = new FrameScanner();
    scanner.scan(Buffer.concat([frame(0x8, closePayload(1000), false), frame(0x8, closePayload(1001), false)]));
    assert.equal(scanner.closeCode, 1000);
  });

  test('knows when it is in the middle of a frame', () => {
    const scanner = new FrameScanner();
    const bytes = frame(0x1, Buffer.alloc(50, 65), true);
    scanner.scan(bytes.subarray(0, 1));
    assert.equal(scanner.atFrameBoundary, false, 'inside the header');
    scanner.scan(bytes.subarray(1, 20));
    assert.equal(scanner.atFrameBoundary, false, 'inside the payload');
    scanner.scan(bytes.subarray(20));
    assert.equal(scanner.atFrameBoundary, true);
    assert.equal(scanner.closeCode, undefined);
  });

  test('closeFrame builds frames the scanner (and any peer) reads back', () => {
    for (const masked of [false, true]) {
      const scanner = new FrameScanner();
      const bytes = closeFrame(1001, 'going away', masked);
      assert.equal(bytes[1] & 0x80, masked ? 0x80 : 0);
      scanner.scan(bytes);
      assert.equal(scanner.closeCode, 1001);
    }
  });
});
