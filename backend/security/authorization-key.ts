// The HTTP Basic password of security profiles 1 and 2, as the OCPP 1.6 Security Whitepaper (edition 3) defines
// it: the AuthorizationKey, 16 to 20 bytes. Operators give it as hex (what ChangeConfiguration AuthorizationKey
// carries) or as text; either way the key is its bytes, and the stored hash is of those bytes.
//
// Chargers disagree on what they put in the Basic auth header: the key's bytes, or the hex text they were
// configured with. Both are the same key, so a password that does not match as sent and is itself 32-40 hex digits
// is compared again after decoding (counted and logged once per charger by the caller: a tolerance, not the rule).

import { randomBytes } from 'node:crypto';

export const AUTHORIZATION_KEY_MIN_BYTES = 16;
export const AUTHORIZATION_KEY_MAX_BYTES = 20;

export type AuthorizationKeyInput = { hex: string } | { text: string };

/** The key's bytes, or why the input is not a whitepaper AuthorizationKey. */
export function authorizationKeyBytes(
  input: AuthorizationKeyInput,
): { ok: true; key: Buffer } | { ok: false; reason: string } {
  let key: Buffer;
  if ('hex' in input) {
    if (!/^([0-9a-fA-F]{2})+$/.test(input.hex))
      return { ok: false, reason: 'authorizationKey must be hex digits, two per byte' };
    key = Buffer.from(input.hex, 'hex');
  } else key = Buffer.from(input.text, 'utf8');
  if (key.length < AUTHORIZATION_KEY_MIN_BYTES || key.length > AUTHORIZATION_KEY_MAX_BYTES)
    return {
      ok: false,
      reason: `an AuthorizationKey is ${AUTHORIZATION_KEY_MIN_BYTES} to ${AUTHORIZATION_KEY_MAX_BYTES} bytes (OCPP security whitepaper), this one is ${key.length}`,
    };
  return { ok: true, key };
}

/** A new random key of the largest size. */
export function newAuthorizationKey(): Buffer {
  return randomBytes(AUTHORIZATION_KEY_MAX_BYTES);
}

/** The bytes of a password sent as hex text, when it looks like an AuthorizationKey in hex; else undefined. */
export function hexDecodedPassword(password: Buffer): Buffer | undefined {
  const text = password.toString('latin1');
  const min = AUTHORIZATION_KEY_MIN_BYTES * 2;
  const max = AUTHORIZATION_KEY_MAX_BYTES * 2;
  if (text.length < min || text.length > max || !/^([0-9a-fA-F]{2})+$/.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}

export interface BasicCredentials {
  user: string;
  password: Buffer;
}

/**
 * The Basic auth credentials of an Authorization header: user up to the first ':' (the identity has none), the
 * password as bytes (the whitepaper's key may be binary). undefined when absent or malformed.
 */
export function basicCredentials(header: string | undefined): BasicCredentials | undefined {
  const match = /^ *basic +([A-Za-z0-9+/._~-]+=*) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return undefined;
  return { user: decoded.subarray(0, colon).toString('utf8'), password: decoded.subarray(colon + 1) };
}
