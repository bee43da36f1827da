// A minimal OCPP 1.6-J central system for the simulator's tests: ocpp-rpc's RPCServer in strict mode on loopback,
// answering every charger-initiated action and counting what it received. It is the simulator's peer, not the
// thing under test (the real one is backend/); keep it small.

import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { RPCServer } from 'ocpp-rpc';
// Server-side connections are RPCClient subclasses: the same call/handle/close.
import type { RPCClient as ServerClient } from 'ocpp-rpc';

type BootStatus = 'Accepted' | 'Pending' | 'Rejected';

export interface CentralSystemOptions {
  /** Interval (s) in BootNotification answers. */
  interval?: number;
  /** Status of a BootNotification, given the charger and how many boots it sent so far (1 for the first). */
  bootStatus?: (identity: string, attempt: number) => BootStatus;
  /** Serve wss:// with this certificate instead of ws://. */
  tls?: { cert: string; key: string };
  /** Require HTTP Basic with this password (401 otherwise). */
  password?: string;
  /** Told of each call as it arrives, before it is answered. */
  onCall?: (identity: string, action: string, params: Record<string, unknown>) => void;
  /** StopTransaction is answered this long after it arrived, ms (a central system waiting for its disk). */
  stopTransactionDelayMs?: number;
}

export interface TestCentralSystem {
  /** Base URL for --url, e.g. ws://127.0.0.1:41234/ocpp */
  url: string;
  port: number;
  /** Calls received from chargers, by action. */
  received: Map<string, number>;
  /** Every call received, in order. */
  log: { identity: string; action: string; params: Record<string, unknown> }[];
  /** Connected chargers by identity (the latest connection of each). */
  clients: Map<string, ServerClient>;
  /** Identities seen at least once. */
  identities: Set<string>;
  connections: number;
  close(): Promise<void>;
  /** Drops every connection abruptly (1006 on the charger's side), as a crashed proxy would. */
  dropAll(): void;
}

export async function startCentralSystem(options: CentralSystemOptions = {}): Promise<TestCentralSystem> {
  const interval = options.interval ?? 300;
  const rpc = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
  const received = new Map<string, number>();
  const log: TestCentralSystem['log'] = [];
  const clients = new Map<string, ServerClient>();
  const identities = new Set<string>();
  const boots = new Map<string, number>();
  let nextTransactionId = 1;

  const system: TestCentralSystem = {
    url: '',
    port: 0,
    received,
    log,
    clients,
    identities,
    connections: 0,
    async close() {
      await rpc.close({ force: true });
      if (httpsServer) await new Promise((resolve) => httpsServer!.close(resolve));
    },
    dropAll() {
      for (const client of clients.values()) void client.close({ force: true });
    },
  };

  rpc.auth((accept, reject, handshake) => {
    if (options.password !== undefined && handshake.password?.toString('utf8') !== options.password)
      reject(401, 'Unauthorized');
    else accept({}, 'ocpp1.6');
  });

  rpc.on('client', (client: ServerClient) => {
    const identity = client.identity!;
    clients.set(identity, client);
    identities.add(identity);
    system.connections++;
    client.on('close', () => {
      if (clients.get(identity) === client) clients.delete(identity);
    });
    const count = (action: string) => received.set(action, (received.get(action) ?? 0) + 1);
    client.on(
      'call',
      ({ outbound, payload }: { outbound: boolean; payload: [number, string, string, Record<string, unknown>] }) => {
        if (outbound) return;
        log.push({ identity, action: payload[2], params: payload[3] });
        options.onCall?.(identity, payload[2], payload[3]);
      },
    );
    const now = () => new Date().toISOString();
    const accepted = { idTagInfo: { status: 'Accepted' } };
    client.handle('BootNotification', async () => {
      count('BootNotification');
      const attempt = (boots.get(identity) ?? 0) + 1;
      boots.set(identity, attempt);
      return { status: options.bootStatus?.(identity, attempt) ?? 'Accepted', currentTime: now(), interval };
    });
    client.handle('Heartbeat', async () => {
      count('Heartbeat');
      return { currentTime: now() };
    });
    client.handle('StatusNotification', async () => {
      count('StatusNotification');
      return {};
    });
    client.handle('Authorize', async () => {
      count('Authorize');
      return accepted;
    });
    client.handle('StartTransaction', async () => {
      count('StartTransaction');
      return { ...accepted, transactionId: nextTransactionId++ };
    });
    client.handle('MeterValues', async () => {
      count('MeterValues');
      return {};
    });
    client.handle('StopTransaction', async () => {
      count('StopTransaction');
      if (options.stopTransactionDelayMs)
        await new Promise((resolve) => setTimeout(resolve, options.stopTransactionDelayMs));
      return accepted;
    });
    client.handle('DiagnosticsStatusNotification', async () => {
      count('DiagnosticsStatusNotification');
      return {};
    });
    client.handle('FirmwareStatusNotification', async () => {
      count('FirmwareStatusNotification');
      return {};
    });
  });

  let httpsServer: HttpsServer | undefined;
  if (options.tls) {
    httpsServer = createHttpsServer({ cert: options.tls.cert, key: options.tls.key });
    httpsServer.on('upgrade', rpc.handleUpgrade);
    await new Promise<void>((resolve) => httpsServer!.listen(0, '127.0.0.1', resolve));
    system.port = (httpsServer.address() as AddressInfo).port;
    system.url = `wss://127.0.0.1:${system.port}/ocpp`;
  } else {
    const server = await rpc.listen(0, '127.0.0.1');
    system.port = (server.address() as AddressInfo).port;
    system.url = `ws://127.0.0.1:${system.port}/ocpp`;
  }
  return system;
}
