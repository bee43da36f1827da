// A charging station built on a third-party OCPP 2.0.1 library from npm (@extrawest/node-ts-ocpp: its own
// WebSocket client, framing and schemas; neither ours nor ocpp-rpc), run as a child process so it trusts the test
// CA through NODE_EXTRA_CA_CERTS like any Node program. It plays one session and reports each step on stdout as a
// JSON line; the test drives the central-system side through the REST API.
//
// argv: the OCPP URL ending in '/', the identity.

import { OcppClient } from '@extrawest/node-ts-ocpp';

const [url, identity] = process.argv.slice(2);
/** A component's variable (OCPP 2.0.1 ComponentType, VariableType), as GetVariables names it. */
interface ComponentVariable {
  component: { name: string; instance?: string };
  variable: { name: string; instance?: string };
}
type Reply = (answer: unknown) => void;
/**
 * The part of the library's client this session uses, by the events it emits. Its own typings name each action's
 * payload; the session's payloads are checked by its schemas.
 */
interface Client {
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'close' | 'connect', listener: () => void): void;
  on(event: 'GetVariables', listener: (request: { getVariableData: ComponentVariable[] }, reply: Reply) => void): void;
  on(event: 'RequestStopTransaction', listener: (request: { transactionId: string }, reply: Reply) => void): void;
  callRequest(action: string, payload: unknown): Promise<Record<string, unknown>>;
  connect(url: string): void;
}
const client = new OcppClient(identity) as unknown as Client;
const say = (step: string, data: Record<string, unknown> = {}) => console.log(JSON.stringify({ step, ...data }));
const transactionId = `${identity}-tx-1`;
let seqNo = 0;
const now = () => new Date().toISOString();
const energy = (kWh: number, context: string) => [
  {
    timestamp: now(),
    sampledValue: [{ value: kWh, context, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } }],
  },
];

client.on('error', (error: Error) => say('error', { message: error.message }));
client.on('close', () => say('closed'));

client.on('GetVariables', (request, reply) => {
  say('getVariables', { request });
  reply({
    getVariableResult: request.getVariableData.map((data) => ({
      attributeStatus: data.variable.name === 'HeartbeatInterval' ? 'Accepted' : 'UnknownVariable',
      ...(data.variable.name === 'HeartbeatInterval' && { attributeValue: '300' }),
      component: data.component,
      variable: data.variable,
    })),
  });
});

client.on('RequestStopTransaction', (request, reply) => {
  say('requestStop', { request });
  reply({ status: request.transactionId === transactionId ? 'Accepted' : 'Rejected' });
  // The charger ends the transaction after accepting the request (OCPP 2.0.1 F03).
  setTimeout(async () => {
    const answer = await client.callRequest('TransactionEvent', {
      eventType: 'Ended',
      timestamp: now(),
      triggerReason: 'RemoteStop',
      seqNo: seqNo++,
      transactionInfo: { transactionId, stoppedReason: 'Remote', chargingState: 'EVConnected' },
      meterValue: energy(21.5, 'Transaction.End'),
    });
    say('ended', { answer });
  }, 50);
});

client.on('connect', async () => {
  try {
    const boot = await client.callRequest('BootNotification', {
      reason: 'PowerUp',
      chargingStation: { vendorName: 'ThirdParty', model: 'node-ts-ocpp', firmwareVersion: '1.0.3' },
    });
    say('booted', { answer: boot });
    await client.callRequest('StatusNotification', {
      timestamp: now(),
      connectorStatus: 'Occupied',
      evseId: 1,
      connectorId: 1,
    });
    say('status');
    const authorize = await client.callRequest('Authorize', {
      idToken: { idToken: 'THIRD-PARTY-1', type: 'ISO14443' },
    });
    say('authorized', { answer: authorize });
    const started = await client.callRequest('TransactionEvent', {
      eventType: 'Started',
      timestamp: now(),
      triggerReason: 'Authorized',
      seqNo: seqNo++,
      evse: { id: 1, connectorId: 1 },
      idToken: { idToken: 'THIRD-PARTY-1', type: 'ISO14443' },
      transactionInfo: { transactionId, chargingState: 'Charging' },
      meterValue: energy(20, 'Transaction.Begin'),
    });
    say('started', { answer: started });
    await client.callRequest('TransactionEvent', {
      eventType: 'Updated',
      timestamp: now(),
      triggerReason: 'MeterValuePeriodic',
      seqNo: seqNo++,
      transactionInfo: { transactionId, chargingState: 'Charging' },
      meterValue: energy(20.75, 'Sample.Periodic'),
    });
    say('metered', { transactionId });
  } catch (error) {
    say('error', { message: (error as Error).message });
  }
});

process.on('SIGTERM', () => process.exit(0));
client.connect(url);
