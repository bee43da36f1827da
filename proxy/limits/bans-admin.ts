// The bans on the proxy's private metrics listener (never on the public ones), for `ocpp-edge bans`:
//   GET    /bans            {"bans": [Ban...]}
//   DELETE /bans/{target}   lifts the bans on an address (its IPv6 network too) or a charge point id
// The listener binds to --metrics-host (127.0.0.1 by default), as /metrics does.

import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Logger } from '../../common/logger.js';
import type { BanList } from './ban-list.js';

export function bansAdminHandler(bans: BanList, keyOf: (address: string) => string, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/bans' && req.method === 'GET') {
      json(res, 200, { bans: bans.list() });
      return true;
    }
    if (path.startsWith('/bans/') && req.method === 'DELETE') {
      const target = decodeURIComponent(path.slice('/bans/'.length));
      const isAddress = net.isIP(target) !== 0 || target.includes('/');
      const key = isAddress && !target.includes('/') ? keyOf(target) : target;
      bans.lift(key, isAddress ? 'address' : 'charge_point').then(
        (lifted) => {
          if (lifted.length > 0) logger.info({ ban: lifted[0]!.kind, key }, `ban of ${key} lifted by the operator`);
          json(res, lifted.length > 0 ? 200 : 404, { lifted });
        },
        (error: Error) => json(res, 500, { error: error.message }),
      );
      return true;
    }
    return false;
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}
