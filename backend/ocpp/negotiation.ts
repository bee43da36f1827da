// Which OCPP version a connecting charger is served with. Many chargers offer several subprotocols
// ("ocpp2.0.1, ocpp1.6") and take whichever the server picks (RFC 6455 §4.2.2: the server selects one of the
// offered values), so the choice is the central system's: the charger's own list when an operator set one through
// the API, else --ocpp-versions, first match wins. A charger that offers none is served as OCPP 1.6 (many 1.6
// firmwares send no header), unless that is turned off or 1.6 is not allowed for it.

import { OCPP_VERSIONS, SUBPROTOCOLS, type OcppVersion } from '../../common/ocpp-versions.js';

export type Negotiation =
  /** protocol: the subprotocol to answer with; false: none (the charger offered none). */
  | { ok: true; version: OcppVersion; protocol: string | false }
  | { ok: false; reason: 'unsupported_subprotocol' | 'subprotocol_required'; message: string };

export function negotiateVersion(
  offered: ReadonlySet<string>,
  preference: readonly OcppVersion[],
  requireSubprotocol: boolean,
): Negotiation {
  const speaks = preference.map((version) => SUBPROTOCOLS[version]).join(', ');
  if (offered.size === 0) {
    if (requireSubprotocol)
      return { ok: false, reason: 'subprotocol_required', message: `this central system speaks ${speaks}` };
    if (!preference.includes('1.6'))
      return { ok: false, reason: 'subprotocol_required', message: `this charge point is served with ${speaks}` };
    return { ok: true, version: '1.6', protocol: false };
  }
  for (const version of preference) {
    if (offered.has(SUBPROTOCOLS[version])) return { ok: true, version, protocol: SUBPROTOCOLS[version] };
  }
  const known = OCPP_VERSIONS.some((version) => offered.has(SUBPROTOCOLS[version]));
  return {
    ok: false,
    reason: 'unsupported_subprotocol',
    message: known
      ? `subprotocol not allowed for this charge point; it is served with ${speaks}`
      : `unsupported subprotocol; this central system speaks ${speaks}`,
  };
}
