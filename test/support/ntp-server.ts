// An SNTP server on loopback UDP whose clock is off by `skewMs`, for `doctor --ntp-server`.

import dgram from 'node:dgram';
import { once } from 'node:events';

export interface TestNtpServer {
  /** 127.0.0.1:PORT */
  address: string;
  close(): Promise<void>;
}

const NTP_EPOCH_OFFSET_S = 2_208_988_800;

export async function startNtpServer(skewMs: number): Promise<TestNtpServer> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (request, peer) => {
    const answer = Buffer.alloc(48);
    answer[0] = (4 << 3) | 4; // version 4, mode 4 (server)
    answer[1] = 2; // stratum
    request.copy(answer, 24, 40, 48); // originate = the client's transmit
    const now = Date.now() + skewMs;
    writeNtpTime(answer, 32, now);
    writeNtpTime(answer, 40, now);
    socket.send(answer, peer.port, peer.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function writeNtpTime(buffer: Buffer, offset: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  buffer.writeUInt32BE(seconds + NTP_EPOCH_OFFSET_S, offset);
  buffer.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), offset + 4);
}
