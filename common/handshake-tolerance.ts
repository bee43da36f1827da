// What real chargers get wrong in the WebSocket handshake on /ocpp/ and both the proxy and the backend accept,
// each counted in ocpp_edge_handshake_tolerances_total{kind}: a '/' after the identity (trailing_slash), and a
// Sec-WebSocket-Protocol offer in another case or with odd separators ("OCPP1.6", "ocpp1.6 ;", ", ocpp1.6")
// (subprotocol_spelling), and an upgrade without "Connection: Upgrade" (connection_header, connectionless-upgrade.ts).
// Everything else about the handshake stays as strict as RFC 6455 asks.

export const HANDSHAKE_TOLERANCE_METRIC = {
  name: 'ocpp_edge_handshake_tolerances_total',
  help: 'WebSocket handshakes on /ocpp/ accepted despite a known charger quirk, by kind (trailing_slash, subprotocol_spelling, connection_header)',
  labelNames: ['kind'] as const,
};

/** RFC 7230 token characters, what a subprotocol name may hold. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The Sec-WebSocket-Protocol offer as RFC 6455 spells it ("a, b"), with the names we speak in our spelling; the
 * header as it was when nothing needed changing. Names that are not tokens are left out.
 */
export function normaliseSubprotocols(offer: string, spoken: readonly string[]): string {
  const names: string[] = [];
  for (const part of offer.split(/[\s,;]+/)) {
    if (part === '' || !TOKEN.test(part)) continue;
    const name = spoken.find((known) => known.toLowerCase() === part.toLowerCase()) ?? part;
    if (!names.includes(name)) names.push(name);
  }
  const normal = names.join(', ');
  // Keep the header byte for byte when it only differs in spacing around the commas (ws accepts that).
  return offer
    .split(',')
    .map((part) => part.trim())
    .join(', ') === normal
    ? offer
    : normal;
}
