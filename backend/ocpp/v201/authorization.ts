// OCPP 2.0.1 authorization: an IdToken has a type (ISO14443, ISO15693, eMAID, KeyCode, Local, MacAddress, Central,
// NoAuthorization), and the verdict is an IdTokenInfo. Tokens are looked up in the same id-tag list as OCPP 1.6
// tags (by their text, whatever the type); NoAuthorization means the charger does not identify anyone (free
// vending, OCPP 2.0.1 C01) and is accepted.

import type { Store } from '../../store/store.js';
import type { ProfileHandlers } from '../handler.js';

export interface IdToken {
  idToken: string;
  type: string;
  additionalInfo?: Array<{ additionalIdToken: string; type: string }>;
}

export interface IdTokenInfo {
  status: string;
  cacheExpiryDateTime?: string;
  groupIdToken?: { idToken: string; type: string };
}

export const authorizationHandlers: ProfileHandlers = {
  // certificate and iso15118CertificateHashData (ISO 15118 Plug & Charge) are out of scope: see docs/OCPP.md.
  async Authorize(payload: { idToken: IdToken }, context) {
    return { idTokenInfo: await idTokenInfo(context.store, payload.idToken, context.now()) };
  },
};

export async function idTokenInfo(store: Store, idToken: IdToken, now: string): Promise<IdTokenInfo> {
  if (idToken.type === 'NoAuthorization') return { status: 'Accepted' };
  const tag = await store.getIdTag(idToken.idToken);
  // 2.0.1 tells "not in the list" (Unknown) from "in the list and refused" (Invalid, Blocked, ...).
  if (!tag) return { status: 'Unknown' };
  const info: IdTokenInfo = { status: tag.status };
  if (tag.expiryDate) {
    info.cacheExpiryDateTime = tag.expiryDate;
    if (tag.status === 'Accepted' && tag.expiryDate <= now) info.status = 'Expired';
  }
  if (tag.parentIdTag) info.groupIdToken = { idToken: tag.parentIdTag, type: 'Central' };
  return info;
}
