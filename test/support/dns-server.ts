// A tiny authoritative DNS server on loopback UDP for tests: A and AAAA answers from a table, NXDOMAIN for names
// it does not hold, so `doctor --resolver` can be shown a domain that points here and one that points elsewhere.

import dgram from 'node:dgram';
import { once } from 'node:events';
import { isIPv4 } from 'node:net';

export interface TestDnsServer {
  /** 127.0.0.1:PORT, for --resolver. */
  address: string;
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

/** records: name → addresses (IPv4 ones answer A queries, IPv6 ones AAAA). */
export async function startDnsServer(records: Record<string, string[]>): Promise<TestDnsServer> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    const { name, type, questionEnd } = parseQuestion(query);
    const known = records[name.toLowerCase()];
    const answers = (known ?? []).filter((address) =>
      type === TYPE_A ? isIPv4(address) : type === TYPE_AAAA && !isIPv4(address),
    );
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2); // QR, AA, RD copied, rcode
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const question = query.subarray(12, questionEnd);
    const records_ = answers.map((address) => answerRecord(type, address));
    socket.send(Buffer.concat([header, question, ...records_]), peer.port, peer.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    address: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function parseQuestion(query: Buffer): { name: string; type: number; questionEnd: number } {
  const labels: string[] = [];
  let offset = 12;
  while (query[offset]! !== 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += 1 + length;
  }
  offset += 1;
  return { name: labels.join('.'), type: query.readUInt16BE(offset), questionEnd: offset + 4 };
}

function answerRecord(type: number, address: string): Buffer {
  const data = type === TYPE_A ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
  const record = Buffer.alloc(12);
  record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  record.writeUInt16BE(type, 2);
  record.writeUInt16BE(1, 4); // class IN
  record.writeUInt32BE(60, 6);
  record.writeUInt16BE(data.length, 10);
  return Buffer.concat([record, data]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const missing = 8 - groups(head!).length - groups(tail).length;
  const all = [...groups(head!), ...Array<string>(address.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  const bytes = Buffer.alloc(16);
  for (const [index, group] of all.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2);
  return bytes;
}
