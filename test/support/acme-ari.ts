// A small RFC 9773 endpoint in front of Pebble (Debian's Pebble 2.4 has no ARI): its /dir is Pebble's directory
// plus `renewalInfo` and advertised profiles, and GET /renewal-info/{certID} answers the window the test sets.
// Every other URL in the directory still points at Pebble itself, so orders are real Pebble orders.

import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Pebble } from './acme-pebble.js';

export interface AriEndpoint {
  directoryUrl: string;
  /** The window answered for a certificate id (the test may give each certificate its own). */
  windowFor: (certId: string) => { start: Date; end: Date };
  /** Certificate ids asked about, in order. */
  requestedIds: string[];
  close(): Promise<void>;
}

export async function startAriEndpoint(pebble: Pebble): Promise<AriEndpoint> {
  const agent = new https.Agent({ ca: pebble.caPem });
  const endpoint: AriEndpoint = {
    directoryUrl: '',
    windowFor: () => ({ start: new Date(Date.now() + 30 * 86_400_000), end: new Date(Date.now() + 31 * 86_400_000) }),
    requestedIds: [],
    close: async () => undefined,
  };
  const server = https.createServer({ cert: pebble.caPem, key: pebble.listenerKeyPem }, (req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/dir') {
      https
        .get(pebble.directoryUrl, { agent }, (upstream) => {
          let body = '';
          upstream.setEncoding('utf8');
          upstream.on('data', (chunk: string) => (body += chunk));
          upstream.on('end', () => {
            const directory = JSON.parse(body) as Record<string, unknown>;
            directory.renewalInfo = `${origin()}/renewal-info`;
            // Profiles as Let's Encrypt advertises them (draft-aaron-acme-profiles); Pebble 2.4 ignores the field.
            directory.meta = {
              ...(directory.meta as object),
              profiles: { classic: 'the default', shortlived: '6-day certificates' },
            };
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(directory));
          });
        })
        .on('error', () => res.writeHead(502).end());
      return;
    }
    const match = /^\/renewal-info\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(url);
    if (req.method === 'GET' && match) {
      endpoint.requestedIds.push(match[1]);
      const window = endpoint.windowFor(match[1]);
      res
        .writeHead(200, { 'content-type': 'application/json', 'retry-after': '21600' })
        .end(JSON.stringify({ suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() } }));
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/problem+json' })
      .end(JSON.stringify({ type: 'urn:ietf:params:acme:error:malformed', detail: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = () => `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  endpoint.directoryUrl = `${origin()}/dir`;
  endpoint.close = () => new Promise((resolve) => server.close(() => resolve()));
  return endpoint;
}
