// Every reason a charger's WebSocket upgrade is refused, with its HTTP status, in one table: the log line, the
// metric (ocpp_edge_upgrade_refusals_total{reason}) and the answer all come from here, so whatever counts or bans
// authentication failures (the proxy, fail2ban on the log) has one list to read.
//
// 401: no credentials or wrong ones (password, certificate that did not verify); the answer never says which, so
// it does not tell an outsider which identities exist. 403: the charger proved who it is but may not connect this
// way (TLS required, certificate of another charge point or CPO), or the request is forged.

import { CHARGE_POINT_ID_RULE } from '../../common/charge-point-identity.js';
import type { Logger } from '../../common/logger.js';
import type { Counter } from 'prom-client';

export const UPGRADE_REFUSALS = {
  invalid_identity: { status: 400, message: CHARGE_POINT_ID_RULE },
  unsupported_subprotocol: { status: 400, message: 'Unsupported subprotocol' },
  subprotocol_required: { status: 400, message: 'Subprotocol required' },
  untrusted_proxy_headers: {
    status: 403,
    message: 'Client-certificate headers are only accepted from a trusted proxy',
  },
  unknown_charge_point: { status: 401, message: 'Unauthorized' },
  password_missing: { status: 401, message: 'Unauthorized' },
  password_wrong: { status: 401, message: 'Unauthorized' },
  /** Profile 1 or 2 without a stored password: an operator's mistake, the charger cannot log in. */
  password_not_set: { status: 401, message: 'Unauthorized' },
  tls_required: { status: 403, message: 'This charge point must connect over TLS (wss://)' },
  /** The proxy's plain ws:// listener (--plain-ocpp-on-http) serves charge points of security profile 1 only. */
  plain_ws_not_allowed: { status: 403, message: 'This charge point must connect over TLS (wss://)' },
  certificate_missing: { status: 401, message: 'Unauthorized' },
  certificate_invalid: { status: 401, message: 'Unauthorized' },
  certificate_identity: { status: 403, message: 'The client certificate is not issued to this charge point' },
  certificate_organization: { status: 403, message: 'The client certificate is not issued by this CPO' },
  /** A migration to a higher profile is done: the old way of connecting is no longer accepted. */
  profile_below_required: { status: 403, message: 'This charge point must connect with a higher security profile' },
  storage_unavailable: { status: 503, message: 'Service Unavailable' },
} as const satisfies Record<string, { status: number; message: string }>;

export type UpgradeRefusalReason = keyof typeof UPGRADE_REFUSALS;

export interface UpgradeRefusal {
  ok: false;
  reason: UpgradeRefusalReason;
  status: number;
  message: string;
}

/** What a refusal is logged with: never a password, never a certificate body. */
export interface RefusalDetails {
  chargePointId: string;
  remoteAddress: string | undefined;
  /** Why, in a few words, for the log only (the charger gets the table's message). */
  detail?: string;
  [field: string]: unknown;
}

export class UpgradeRefusals {
  constructor(
    private readonly logger: Logger,
    private readonly counter: Counter<'reason'>,
  ) {}

  refuse(reason: UpgradeRefusalReason, details: RefusalDetails): UpgradeRefusal {
    const { status, message } = UPGRADE_REFUSALS[reason];
    this.counter.inc({ reason });
    this.logger.warn({ ...details, status, reason }, `upgrade refused: ${details.detail ?? reason}`);
    return { ok: false, reason, status, message };
  }
}
