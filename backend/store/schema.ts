// Table shapes of the central system's database, shared by both dialects.
//
// Timestamps are ISO-8601 UTC strings with milliseconds ("2025-01-01T10:00:00.000Z") in both SQLite and
// PostgreSQL: one representation, sortable as text, no driver-specific Date conversion between dialects.

import type { Generated } from 'kysely';

export interface ChargePointTable {
  id: string;
  /** scrypt hash of the HTTP Basic password (see backend/ocpp/passwords.ts); null: no password set. */
  password_hash: string | null;
  /** OCPP security profile 0-3 (backend/security/security-profile.ts). */
  security_profile: number;
  /** A rotated password the charger accepted but has not logged in with yet. */
  pending_password_hash: string | null;
  vendor: string | null;
  model: string | null;
  serial_number: string | null;
  firmware_version: string | null;
  iccid: string | null;
  imsi: string | null;
  meter_type: string | null;
  meter_serial_number: string | null;
  firmware_status: string | null;
  diagnostics_status: string | null;
  registered_at: string;
  last_boot_at: string | null;
  last_heartbeat_at: string | null;
  /** Per-charger override of --ocpp-validation ('tolerant' | 'strict'); null: the default. */
  ocpp_validation: string | null;
  /** Schema violations tolerated so far (bigint in PostgreSQL: read back through Number()). */
  schema_violations: Generated<number | string>;
  last_schema_violation_at: string | null;
  /** The OCPP version of its last connection ('1.6', '2.0.1'). */
  ocpp_version: string | null;
  /** Versions it may be served with, preferred first ("2.0.1,1.6"); null: the server's --ocpp-versions. */
  ocpp_versions: string | null;
  /** OCPP 2.0.1 BootNotification reason of its last boot. */
  boot_reason: string | null;
}

export interface ConnectorTable {
  charge_point_id: string;
  connector_id: number;
  status: string;
  error_code: string;
  info: string | null;
  vendor_error_code: string | null;
  status_at: string;
}

export interface StatusHistoryTable {
  id: Generated<number>;
  charge_point_id: string;
  connector_id: number;
  status: string;
  error_code: string;
  info: string | null;
  vendor_error_code: string | null;
  status_at: string;
  received_at: string;
  /** OCPP 2.0.1: the connector within the EVSE (connector_id is then the EVSE id). */
  evse_connector_id: number | null;
}

/** OCPP 2.0.1: the status of each connector of an EVSE (connectors holds the EVSE's status). */
export interface EvseConnectorTable {
  charge_point_id: string;
  evse_id: number;
  connector_id: number;
  status: string;
  status_at: string;
}

export interface IdTagTable {
  id_tag: string;
  status: string;
  expiry_date: string | null;
  parent_id_tag: string | null;
}

export interface TransactionTable {
  id: Generated<number>;
  charge_point_id: string;
  connector_id: number;
  id_tag: string;
  reservation_id: number | null;
  /**
   * bigint in PostgreSQL (a lifetime energy register in Wh can exceed int4); read back through Number(). Null for
   * an OCPP 2.0.1 transaction until a meter value gave its energy register.
   */
  meter_start: number | string | null;
  start_time: string;
  meter_stop: number | string | null;
  stop_time: string | null;
  stop_reason: string | null;
  stop_id_tag: string | null;
  /** charger, connector, id tag (lower case), start time, meter start: one transaction per retransmitted start. */
  start_key: string | null;
  /**
   * The idTagInfo status the first StartTransaction.conf carried (ConcurrentTx included), so a retransmission gets
   * the same answer; null for 2.0.1 transactions and for starts stored before it was kept.
   */
  start_status: string | null;
  /** JSON array of flag names (see backend/ocpp/transaction-flags.ts); null: nothing suspect. */
  flags: string | null;
  /** '1.6' or '2.0.1'. */
  ocpp_version: Generated<string>;
  /** OCPP 2.0.1: the transactionId the charger chose (unique per charger); null for 1.6. */
  charger_transaction_id: string | null;
  /** OCPP 2.0.1: the connector within the EVSE (connector_id is the EVSE id). */
  evse_connector_id: number | null;
  id_token_type: string | null;
  charging_state: string | null;
  remote_start_id: number | null;
}

/** OCPP 2.0.1 TransactionEvent requests, one row per (transaction, seqNo). */
export interface TransactionEventTable {
  id: Generated<number>;
  transaction_id: number;
  seq_no: number;
  event_type: string;
  trigger_reason: string;
  event_time: string;
  /** 1: the charger sent it after being offline (queued). */
  offline: number;
  charging_state: string | null;
  id_token: string | null;
  received_at: string;
}

/** The configuration inventory of an OCPP 2.0.1 charger: its device model (NotifyReport, Get/SetVariables). */
export interface DeviceVariableTable {
  charge_point_id: string;
  /** component[instance]@evse.connector/variable[instance]#attributeType: one row per variable attribute. */
  variable_key: string;
  component: string;
  component_instance: string | null;
  evse_id: number | null;
  evse_connector_id: number | null;
  variable: string;
  variable_instance: string | null;
  attribute_type: string;
  value: string | null;
  mutability: string | null;
  persistent: number | null;
  constant: number | null;
  data_type: string | null;
  unit: string | null;
  /** The message that last set it: NotifyReport, GetVariables, SetVariables, NotifyEvent. */
  source: string;
  updated_at: string;
}

/** OCPP 2.0.1 NotifyEvent: one row per event data entry. */
export interface DeviceEventTable {
  id: Generated<number>;
  charge_point_id: string;
  event_id: number;
  event_time: string;
  trigger: string;
  notification_type: string;
  component: string;
  component_instance: string | null;
  evse_id: number | null;
  evse_connector_id: number | null;
  variable: string;
  variable_instance: string | null;
  actual_value: string;
  cleared: number;
  cause: number | null;
  tech_code: string | null;
  tech_info: string | null;
  transaction_id: string | null;
  variable_monitoring_id: number | null;
  received_at: string;
}

/** One row per sampled value. */
export interface MeterValueTable {
  id: Generated<number>;
  charge_point_id: string;
  connector_id: number;
  transaction_id: number | null;
  sampled_at: string;
  value: string;
  measurand: string | null;
  unit: string | null;
  context: string | null;
  location: string | null;
  phase: string | null;
  format: string | null;
  /** JSON array of flag names; null: nothing suspect. */
  flags: string | null;
}

export interface MessageLogTable {
  id: Generated<number>;
  charge_point_id: string;
  /** "in": from the charger; "out": to the charger. */
  direction: string;
  message_type: number | null;
  message_id: string | null;
  action: string | null;
  frame: string;
  logged_at: string;
}

/** The last tolerated schema violations of each charger (the policy of backend/ocpp/tolerance/). */
export interface SchemaViolationTable {
  id: Generated<number>;
  charge_point_id: string;
  action: string;
  message_id: string | null;
  /** JSON pointer of the value in the payload as sent. */
  path: string;
  keyword: string;
  rule: string;
  repair: string;
  raw: string | null;
  received_at: string;
}

/** A StopTransaction for a transaction this central system does not know: answered, and kept. */
export interface UnmatchedStopTable {
  id: Generated<number>;
  charge_point_id: string;
  transaction_id: number | string;
  meter_stop: number | string;
  stop_time: string;
  stop_reason: string | null;
  id_tag: string | null;
  received_at: string;
}

/** SecurityEventNotification, one row per event. */
export interface SecurityEventTable {
  id: Generated<number>;
  charge_point_id: string;
  type: string;
  /** The charger's timestamp of the event (UTC). */
  event_at: string;
  tech_info: string | null;
  /** 1 for the types the whitepaper marks critical (backend/security/security-events.ts). */
  critical: number;
  received_at: string;
}

/** SignCertificate: a charger's CSR, and what became of it. */
/** Raising a charger's security profile (backend/security/profile-migration.ts), newest last. */
export interface SecurityProfileMigrationTable {
  id: Generated<number>;
  charge_point_id: string;
  from_profile: number;
  to_profile: number;
  /** pending (ChangeConfiguration sent), accepted (waiting for the reconnect), confirmed, rejected, timed_out. */
  status: string;
  detail: string | null;
  requested_at: string;
  /** Until when an accepted migration waits for the charger to reconnect with the new profile. */
  deadline_at: string;
  updated_at: string;
}

export interface CertificateRequestTable {
  id: Generated<number>;
  charge_point_id: string;
  /** PEM. */
  csr: string;
  subject: string;
  /** "EC P-256", "RSA 2048", ... */
  key_type: string;
  /** rejected, pending (waits for an operator), signed, accepted (the charger installed it), refused (it did not). */
  status: string;
  detail: string | null;
  /** PEM chain sent in CertificateSigned. */
  certificate_chain: string | null;
  received_at: string;
  updated_at: string;
}

/** LogStatusNotification and SignedFirmwareStatusNotification, one row each. */
export interface SecurityStatusHistoryTable {
  id: Generated<number>;
  charge_point_id: string;
  /** "log" or "signedFirmware". */
  kind: string;
  status: string;
  request_id: number | null;
  received_at: string;
}

/** The last GetInstalledCertificateIds answer per charge point and certificate type. */
export interface InstalledCertificateTable {
  charge_point_id: string;
  certificate_type: string;
  hash_algorithm: string;
  issuer_name_hash: string;
  issuer_key_hash: string;
  serial_number: string;
  reported_at: string;
}

export interface Database {
  charge_points: ChargePointTable;
  connectors: ConnectorTable;
  status_history: StatusHistoryTable;
  id_tags: IdTagTable;
  transactions: TransactionTable;
  meter_values: MeterValueTable;
  message_log: MessageLogTable;
  schema_violations: SchemaViolationTable;
  unmatched_stops: UnmatchedStopTable;
  evse_connectors: EvseConnectorTable;
  transaction_events: TransactionEventTable;
  device_variables: DeviceVariableTable;
  device_events: DeviceEventTable;
  security_events: SecurityEventTable;
  certificate_requests: CertificateRequestTable;
  security_profile_migrations: SecurityProfileMigrationTable;
  security_status_history: SecurityStatusHistoryTable;
  installed_certificates: InstalledCertificateTable;
}
