// `ocpp-edge chargers list|show|reset|unlock|start|stop|availability|clear-cache|trigger`: the charge points and
// the commands the REST API sends them (POST /api/charge-points/{id}/{command}, backend/api/commands.ts).

import type { Argv, CommandModule } from 'yargs';
import { withApi } from './api-options.js';
import { collect, operatorHandler, type OperatorContext, type OperatorOutput } from './run.js';
import { formatFields, formatTable, type Column } from './table.js';

interface Connector {
  connectorId: number;
  status: string;
  errorCode: string;
  info: string | null;
  timestamp: string;
}

interface ChargePoint {
  id: string;
  connected: boolean;
  ocppVersion: string | null;
  securityProfile: number;
  vendor: string | null;
  model: string | null;
  serialNumber: string | null;
  firmwareVersion: string | null;
  registeredAt: string;
  lastBootAt: string | null;
  lastHeartbeat: string | null;
  connectors?: Connector[];
}

const listColumns: Column<ChargePoint>[] = [
  { header: 'ID', value: (cp) => cp.id },
  { header: 'CONNECTED', value: (cp) => cp.connected },
  { header: 'OCPP', value: (cp) => cp.ocppVersion },
  { header: 'VENDOR', value: (cp) => cp.vendor },
  { header: 'MODEL', value: (cp) => cp.model },
  { header: 'FIRMWARE', value: (cp) => cp.firmwareVersion },
  { header: 'LAST HEARTBEAT', value: (cp) => cp.lastHeartbeat },
];

const connectorColumns: Column<Connector>[] = [
  { header: 'CONNECTOR', value: (c) => c.connectorId },
  { header: 'STATUS', value: (c) => c.status },
  { header: 'ERROR', value: (c) => (c.errorCode === 'NoError' ? '' : c.errorCode) },
  { header: 'INFO', value: (c) => c.info },
  { header: 'SINCE', value: (c) => c.timestamp },
];

const id = (yargs: Argv) => yargs.positional('id', { type: 'string', demandOption: true, describe: 'Charge point id' });
const connector = (yargs: Argv) =>
  yargs.positional('connector', {
    type: 'number',
    demandOption: true,
    describe: 'Connector id (0: the whole charger)',
  });

export const chargersCommand: CommandModule = {
  command: 'chargers <command>',
  describe: 'List and show charge points, and send them commands (reset, unlock, remote start/stop, ...)',
  builder: (yargs: Argv) =>
    yargs
      .command(
        withApi({
          command: 'list',
          describe: 'The charge points, every page, in id order',
          builder: (y: Argv) =>
            y
              .option('connected', {
                type: 'boolean',
                describe: 'Only connected ones (--no-connected: only the others)',
              })
              .option('search', { type: 'string', describe: 'Substring of id, vendor, model or serial number' })
              .option('seen-since', { type: 'string', describe: 'Last heartbeat at or after this ISO time' }),
          handler: operatorHandler('chargers list', list),
        }),
      )
      .command(
        withApi({
          command: 'show <id>',
          describe: 'One charge point with its connectors',
          builder: id,
          handler: operatorHandler('chargers show', show),
        }),
      )
      .command(
        withApi({
          command: 'reset <id>',
          describe: 'Reboot the charger (Soft unless --hard)',
          builder: (y: Argv) => id(y).option('hard', { type: 'boolean', default: false, describe: 'Hard reset' }),
          handler: operatorHandler('chargers reset', (c) =>
            send(c, 'reset', { type: c.argv.hard ? 'Hard' : 'Soft' }, 'Reset'),
          ),
        }),
      )
      .command(
        withApi({
          command: 'unlock <id> <connector>',
          describe: 'Unlock a connector',
          builder: (y: Argv) => connector(id(y)),
          handler: operatorHandler('chargers unlock', (c) =>
            send(c, 'unlock-connector', { connectorId: Number(c.argv.connector) }, 'UnlockConnector'),
          ),
        }),
      )
      .command(
        withApi({
          command: 'start <id>',
          describe: 'Ask the charger to start a transaction for an id tag (RemoteStartTransaction)',
          builder: (y: Argv) =>
            id(y)
              .option('id-tag', { type: 'string', demandOption: true, describe: 'Id tag the transaction is for' })
              .option('connector', { type: 'number', describe: 'Connector (default: the charger chooses)' }),
          handler: operatorHandler('chargers start', (c) =>
            send(
              c,
              'remote-start',
              {
                idTag: String(c.argv.idTag),
                ...(c.argv.connector !== undefined && { connectorId: Number(c.argv.connector) }),
              },
              'RemoteStartTransaction',
            ),
          ),
        }),
      )
      .command(
        withApi({
          command: 'stop <id> <transaction>',
          describe: 'Ask the charger to stop a running transaction (RemoteStopTransaction)',
          builder: (y: Argv) =>
            id(y).positional('transaction', { type: 'number', demandOption: true, describe: 'Transaction id' }),
          handler: operatorHandler('chargers stop', (c) =>
            send(c, 'remote-stop', { transactionId: Number(c.argv.transaction) }, 'RemoteStopTransaction'),
          ),
        }),
      )
      .command(
        withApi({
          command: 'availability <id> <connector> <state>',
          describe: 'Make a connector (0: the whole charger) operative or inoperative',
          builder: (y: Argv) =>
            connector(id(y)).positional('state', {
              type: 'string',
              choices: ['operative', 'inoperative'],
              demandOption: true,
            }),
          handler: operatorHandler('chargers availability', (c) =>
            send(
              c,
              'change-availability',
              {
                connectorId: Number(c.argv.connector),
                type: c.argv.state === 'operative' ? 'Operative' : 'Inoperative',
              },
              'ChangeAvailability',
            ),
          ),
        }),
      )
      .command(
        withApi({
          command: 'clear-cache <id>',
          describe: "Clear the charger's authorization cache",
          builder: id,
          handler: operatorHandler('chargers clear-cache', (c) => send(c, 'clear-cache', {}, 'ClearCache')),
        }),
      )
      .command(
        withApi({
          command: 'trigger <id> <message>',
          describe: 'Ask the charger to send a message now (BootNotification, Heartbeat, StatusNotification, ...)',
          builder: (y: Argv) =>
            id(y)
              .positional('message', { type: 'string', demandOption: true, describe: 'The message it should send' })
              .option('connector', { type: 'number', describe: 'For a connector' }),
          handler: operatorHandler('chargers trigger', (c) =>
            send(
              c,
              'trigger-message',
              {
                requestedMessage: String(c.argv.message),
                ...(c.argv.connector !== undefined && { connectorId: Number(c.argv.connector) }),
              },
              'TriggerMessage',
            ),
          ),
        }),
      )
      .demandCommand(
        1,
        'Name a chargers command: list, show, reset, unlock, start, stop, availability, clear-cache, trigger',
      )
      .example('$0 chargers list --connected', 'who is online')
      .example('$0 chargers reset CP001 --hard', 'reboot a charger'),
  handler: () => {},
};

async function list({ api, argv, config }: OperatorContext): Promise<OperatorOutput> {
  const chargePoints = await collect(
    api.pages<ChargePoint>('/api/charge-points', {
      limit: config.pageSize,
      connected: argv.connected as boolean | undefined,
      q: argv.search as string | undefined,
      seenSince: argv.seenSince as string | undefined,
    }),
  );
  const connected = chargePoints.filter((cp) => cp.connected).length;
  return {
    json: chargePoints,
    text: `${formatTable(listColumns, chargePoints)}${chargePoints.length} charge points, ${connected} connected\n`,
  };
}

async function show({ api, argv }: OperatorContext): Promise<OperatorOutput> {
  const cp = await api.json<ChargePoint>('GET', `/api/charge-points/${encodeURIComponent(String(argv.id))}`);
  const fields = formatFields([
    ['Charge point', cp.id],
    ['Connected', cp.connected],
    ['OCPP', cp.ocppVersion],
    ['Security profile', cp.securityProfile],
    ['Vendor', cp.vendor],
    ['Model', cp.model],
    ['Serial number', cp.serialNumber],
    ['Firmware', cp.firmwareVersion],
    ['Registered', cp.registeredAt],
    ['Last boot', cp.lastBootAt],
    ['Last heartbeat', cp.lastHeartbeat],
  ]);
  const connectors = cp.connectors ?? [];
  return {
    json: cp,
    text: connectors.length === 0 ? fields : `${fields}\n${formatTable(connectorColumns, connectors)}`,
  };
}

/** Sends one command; the charger's answer is the output ("CP001: Reset Accepted"). */
async function send(
  { api, argv }: OperatorContext,
  route: string,
  payload: Record<string, unknown>,
  action: string,
): Promise<OperatorOutput> {
  const chargePointId = String(argv.id);
  const answer = await api.json<Record<string, unknown>>(
    'POST',
    `/api/charge-points/${encodeURIComponent(chargePointId)}/${route}`,
    { body: payload },
  );
  const status = typeof answer?.status === 'string' ? answer.status : JSON.stringify(answer);
  return { json: answer, text: `${chargePointId}: ${action} ${status}\n` };
}
