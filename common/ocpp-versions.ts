// The OCPP versions ocpp-edge speaks and their OCPP-J WebSocket subprotocols, named once for the proxy (a metric
// label) and the backend (negotiation, handlers, the API).

export const OCPP_VERSIONS = ['1.6', '2.0.1'] as const;
export type OcppVersion = (typeof OCPP_VERSIONS)[number];

/** OCPP-J 1.6 §3.1.2 and OCPP 2.0.1 Part 4 §3.1.2: the subprotocol names a charger offers. */
export const SUBPROTOCOLS: Readonly<Record<OcppVersion, string>> = { '1.6': 'ocpp1.6', '2.0.1': 'ocpp2.0.1' };

export function versionOfSubprotocol(subprotocol: string | undefined): OcppVersion | undefined {
  if (subprotocol === SUBPROTOCOLS['1.6']) return '1.6';
  if (subprotocol === SUBPROTOCOLS['2.0.1']) return '2.0.1';
  return undefined;
}

/** A bounded metric label for a negotiated subprotocol: ocpp1.6, ocpp2.0.1, none, or other. */
export function subprotocolLabel(subprotocol: string | undefined): string {
  if (!subprotocol) return 'none';
  return versionOfSubprotocol(subprotocol) ? subprotocol : 'other';
}

/**
 * Parses a preference list such as "2.0.1,1.6" (first: preferred when a charger offers several). Returns the
 * versions, or an error message naming what is wrong.
 */
export function parseVersionList(text: string): OcppVersion[] | string {
  const items = text
    .split(',')
    .map((item) => item.trim().replace(/^ocpp/i, ''))
    .filter((item) => item !== '');
  if (items.length === 0) return `expects a comma-separated list of ${OCPP_VERSIONS.join(', ')}`;
  const versions: OcppVersion[] = [];
  for (const item of items) {
    if (!(OCPP_VERSIONS as readonly string[]).includes(item))
      return `unknown OCPP version ${JSON.stringify(item)} (supported: ${OCPP_VERSIONS.join(', ')})`;
    if (versions.includes(item as OcppVersion)) return `OCPP version ${item} is listed twice`;
    versions.push(item as OcppVersion);
  }
  return versions;
}
