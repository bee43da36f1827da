// Charger: its connectors, the running transaction with a live power and energy chart from its MeterValues, the
// last OCPP messages, what it sent off-spec, its security events and configuration, and the commands an operator
// sends (each confirmed, with the charger's answer shown).

import { useMemo } from 'react';
import useSWR from 'swr';
import { Link } from 'wouter';
import { type ChargePoint, type Me, type MeterValue, roleAllows, type Transaction } from '../api';
import { ConfirmAction } from '../components/ConfirmAction';
import { OptionalSection, RowsTable } from '../components/OptionalSection';
import { TimeChart } from '../components/TimeChart';
import { chartOf, energySoFar } from '../meter-chart';
import { ago, dateTime, kWh } from '../format';

export function ChargerPage({ id, me }: { id: string; me: Me | undefined }) {
  const base = `/api/charge-points/${encodeURIComponent(id)}`;
  const { data: chargePoint, error } = useSWR<ChargePoint>(base);
  const { data: running } = useSWR<Transaction[]>(
    `/api/transactions?chargePointId=${encodeURIComponent(id)}&active=true&limit=5`,
  );
  const canCommand = roleAllows(me?.role, 'operator');
  const noRole = 'Your role cannot send commands (operator needed)';

  if (error) return <p className="error">{error.message}</p>;
  if (!chargePoint) return <p className="empty">Loading…</p>;
  const transaction = running?.[0];
  const connectorIds = (chargePoint.connectors ?? []).map((c) => String(c.connectorId)).filter((c) => c !== '0');

  return (
    <section>
      <p className="crumbs">
        <Link href="/">Fleet</Link> / {id}
      </p>
      <h1>
        {id}{' '}
        <span className={`badge ${chargePoint.connected ? 'ok' : 'muted'}`} data-testid="charger-state">
          {chargePoint.connected ? 'connected' : 'offline'}
        </span>
      </h1>
      <dl className="facts">
        <Fact term="Vendor / model" value={[chargePoint.vendor, chargePoint.model].filter(Boolean).join(' ')} />
        <Fact term="Firmware" value={chargePoint.firmwareVersion} />
        <Fact term="Serial" value={chargePoint.serialNumber} />
        <Fact term="Last boot" value={dateTime(chargePoint.lastBootAt as string | null)} />
        <Fact term="Last heartbeat" value={ago(chargePoint.lastHeartbeat as string | null)} />
        {chargePoint.securityProfile !== undefined && (
          <Fact term="Security profile" value={String(chargePoint.securityProfile)} />
        )}
      </dl>

      <section className="panel">
        <h2>Connectors</h2>
        <RowsTable
          rows={(chargePoint.connectors ?? []) as unknown as Record<string, unknown>[]}
          columns={[
            ['connectorId', 'Connector'],
            ['status', 'Status'],
            ['errorCode', 'Error'],
            ['info', 'Info'],
            ['timestamp', 'Since'],
          ]}
        />
      </section>

      <section className="panel">
        <h2>Actions</h2>
        <div className="actions" data-testid="actions">
          <ConfirmAction
            label="Remote start"
            path={`${base}/remote-start`}
            disabled={!canCommand}
            disabledReason={noRole}
            fields={[
              { name: 'idTag', label: 'Id tag' },
              {
                name: 'connectorId',
                label: 'Connector',
                type: 'number',
                initial: connectorIds[0] ?? '1',
                optional: true,
              },
            ]}
            describe={(v) => `Start charging on ${id} connector ${v.connectorId || 'any'} for ${v.idTag || '…'}?`}
          />
          <ConfirmAction
            label="Remote stop"
            path={`${base}/remote-stop`}
            disabled={!canCommand}
            disabledReason={noRole}
            fields={[
              {
                name: 'transactionId',
                label: 'Transaction',
                type: 'number',
                initial: transaction ? String(transaction.id) : '',
              },
            ]}
            describe={(v) => `Stop transaction ${v.transactionId} on ${id}?`}
          />
          <ConfirmAction
            label="Reset"
            path={`${base}/reset`}
            disabled={!canCommand}
            disabledReason={noRole}
            fields={[{ name: 'type', label: 'Type', type: 'select', options: ['Soft', 'Hard'] }]}
            describe={(v) => `${v.type} reset of ${id}? Running sessions may stop.`}
          />
          <ConfirmAction
            label="Unlock"
            path={`${base}/unlock-connector`}
            disabled={!canCommand}
            disabledReason={noRole}
            fields={[{ name: 'connectorId', label: 'Connector', type: 'number', initial: connectorIds[0] ?? '1' }]}
            describe={(v) => `Unlock connector ${v.connectorId} of ${id}?`}
          />
          <ConfirmAction
            label="Change availability"
            path={`${base}/change-availability`}
            disabled={!canCommand}
            disabledReason={noRole}
            fields={[
              { name: 'connectorId', label: 'Connector (0: all)', type: 'number', initial: '0' },
              { name: 'type', label: 'Availability', type: 'select', options: ['Inoperative', 'Operative'] },
            ]}
            describe={(v) => `Make connector ${v.connectorId} of ${id} ${v.type}?`}
          />
          <ConfirmAction
            label="Trigger message"
            path={`${base}/trigger-message`}
            disabled={!canCommand}
            disabledReason={noRole}
            fields={[
              {
                name: 'requestedMessage',
                label: 'Message',
                type: 'select',
                options: [
                  'StatusNotification',
                  'Heartbeat',
                  'MeterValues',
                  'BootNotification',
                  'DiagnosticsStatusNotification',
                  'FirmwareStatusNotification',
                ],
              },
              { name: 'connectorId', label: 'Connector', type: 'number', optional: true },
            ]}
            describe={(v) => `Ask ${id} to send ${v.requestedMessage}?`}
          />
          <ConfirmAction
            label="Get diagnostics"
            path={`${base}/get-diagnostics`}
            disabled={!canCommand}
            disabledReason={noRole}
            fields={[{ name: 'location', label: 'Upload URL (ftp:// or https://)' }]}
            describe={(v) => `Ask ${id} to upload its diagnostics to ${v.location || '…'}?`}
          />
        </div>
      </section>

      <section className="panel">
        <h2>Running transaction</h2>
        {transaction ? <RunningTransaction transaction={transaction} /> : <p className="empty">None.</p>}
      </section>

      <OptionalSection<Record<string, unknown>[]>
        title="Last OCPP messages"
        path={`${base}/messages?limit=50`}
        render={(rows) => (
          <RowsTable
            rows={rows}
            columns={[
              ['loggedAt', 'At'],
              ['direction', 'Direction'],
              ['action', 'Action'],
              ['frame', 'Frame'],
            ]}
          />
        )}
      />
      <OptionalSection<{ count: number; violations: Record<string, unknown>[] }>
        title="Off-spec messages"
        path={`${base}/schema-violations`}
        rowsOf={(record) => record.violations}
        empty="None: every message was within the OCPP schemas."
        render={(record) => (
          <>
            <p className="hint">{record.count} tolerated so far; the newest:</p>
            <RowsTable
              rows={record.violations}
              columns={[
                ['receivedAt', 'At'],
                ['action', 'Action'],
                ['path', 'Path'],
                ['keyword', 'Rule'],
                ['raw', 'Sent'],
              ]}
            />
          </>
        )}
      />
      <OptionalSection<Record<string, unknown>[]>
        title="Security events"
        path={`${base}/security-events`}
        render={(rows) => (
          <RowsTable
            rows={rows}
            columns={[
              ['timestamp', 'At'],
              ['type', 'Type'],
              ['critical', 'Critical'],
              ['techInfo', 'Detail'],
            ]}
          />
        )}
      />
      <OptionalSection<{ keys: Record<string, unknown>[]; refreshedAt: string | null }>
        title="Configuration"
        path={`${base}/configuration`}
        rowsOf={(inventory) => inventory.keys}
        empty="Not read from the charger yet."
        render={(inventory) => (
          <RowsTable
            rows={inventory.keys}
            columns={[
              ['key', 'Key'],
              ['value', 'Value'],
              ['readonly', 'Read-only'],
            ]}
          />
        )}
      />
    </section>
  );
}

function RunningTransaction({ transaction }: { transaction: Transaction }) {
  // MeterValues raise no event, so a running session's chart is re-read every 15 s.
  const { data } = useSWR<Transaction & { meterValues: MeterValue[] }>(`/api/transactions/${transaction.id}`, {
    refreshInterval: 15_000,
  });
  const { times, series } = useMemo(() => chartOf(data?.meterValues ?? []), [data]);
  return (
    <>
      <dl className="facts">
        <Fact term="Transaction" value={String(transaction.id)} />
        <Fact term="Connector" value={String(transaction.connectorId)} />
        <Fact term="Id tag" value={transaction.idTag} />
        <Fact term="Started" value={dateTime(transaction.startTime)} />
        <Fact term="Energy so far" value={kWh(energySoFar(data?.meterValues ?? [], transaction.meterStart))} />
      </dl>
      <TimeChart times={times} series={series} />
    </>
  );
}

function Fact({ term, value }: { term: string; value: string | null | undefined }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{value || '—'}</dd>
    </div>
  );
}
