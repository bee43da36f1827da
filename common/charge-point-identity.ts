// The charge point identity: the last segment of /ocpp/{id}, the key of every charger in the store and the REST
// API, and the user name of HTTP Basic auth. The proxy, the OCPP endpoint and the API schema all use this rule, so
// an identity the API accepts is one that can connect through the edge, and the other way round.
//
// What OCPP-J says:
// - OCPP-J 1.6, section 3.1.1 ("Client request"): the charge point appends its identity to the endpoint URL, and
//   "this uniquely identifying string has to be percent-encoded as necessary as described in [RFC3986]"; its
//   example is identity "RDAM 123" at `.../ocpp/RDAM%20123`. It sets no alphabet beyond that.
// - OCPP 2.0.1 Part 4 (OCPP-J), section 3.1.1 ("The connection URL"): the same percent-encoding rule, with the
//   example "RDAM|123" at `.../ocppj/RDAM%7C123`; the identity is an identifierString (Part 2, section 2.1:
//   a-z A-Z 0-9 * - _ = : + | @ .) of at most 48 characters.
// - Both security whitepapers (1.6 edition 2, section 3.1; 2.0.1 Part 2, A00.FR.203/204): with HTTP Basic auth the
//   user name is the identity, and ':' ends the user name (RFC 7617), so no ':' in an identity.
//
// Our rule, after percent-decoding: 1 to 48 characters of printable ASCII (0x20-0x7E, the 1.6 CiString alphabet,
// which covers 2.0.1's identifierString and 1.6's own "RDAM 123"), except ':' (Basic auth), and '/' and '\'
// (path separators: a decoded '/' would make the identity's own REST URL ambiguous behind anything that decodes
// %2F). '.' and '..' alone are dot segments and refused.

export const MAX_CHARGE_POINT_ID_LENGTH = 48;

/** The rule as a JSON-schema `pattern` (the API's route parameter) and as a RegExp (everything else). */
export const CHARGE_POINT_ID_PATTERN = `^[\\x20-\\x2e\\x30-\\x39\\x3b-\\x5b\\x5d-\\x7e]{1,${MAX_CHARGE_POINT_ID_LENGTH}}$`;
const CHARGE_POINT_ID = new RegExp(CHARGE_POINT_ID_PATTERN);

/** The refusal reason the proxy and the OCPP endpoint give (a 400 body), and the API schema's description. */
export const CHARGE_POINT_ID_RULE =
  'the charge point id in /ocpp/{id} must be 1 to 48 printable ASCII characters other than : / \\ after ' +
  'percent-decoding (OCPP-J section 3.1.1)';

/** True for a (decoded) identity that follows the rule. */
export function isChargePointId(id: string): boolean {
  return CHARGE_POINT_ID.test(id) && id !== '.' && id !== '..';
}

export interface OcppPathIdentity {
  /** The percent-decoded identity. */
  id: string;
  /** The path ended with a '/' after the identity (some chargers append one); tolerated and counted. */
  trailingSlash: boolean;
}

/**
 * The identity in a request path `{prefix}{id}` (the query already cut off), or undefined when the path holds no
 * identity that follows the rule: more than one segment, malformed percent-encoding, or a decoded id outside it.
 * One trailing '/' is tolerated.
 */
export function chargePointIdFromPath(pathname: string, prefix: string): OcppPathIdentity | undefined {
  if (!pathname.startsWith(prefix)) return undefined;
  let segment = pathname.slice(prefix.length);
  const trailingSlash = segment.endsWith('/');
  if (trailingSlash) segment = segment.slice(0, -1);
  // A raw '\' is a '/' to WHATWG URL parsers (ocpp-rpc's among them): the backend would see another identity.
  if (segment.includes('/') || segment.includes('\\')) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return isChargePointId(id) ? { id, trailingSlash } : undefined;
}

/**
 * A request target's identity part as safe to print: anything outside printable ASCII written as a \xNN or \uNNNN
 * escape, so a refused identity cannot forge log lines or break a terminal. Valid identities print as they are.
 */
export function printableIdentity(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (character) => {
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
