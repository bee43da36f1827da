// The local authorization list (OCPP 1.6 Local Auth List Management) for an OCPP 2.0.1 charger (functional block
// D): the synchronizer (local-lists.ts) speaks 1.6, and its two calls are put in 2.0.1 words here. A 1.6 id tag is
// an IdToken of type ISO14443 (an RFID card, what 1.6 id tags are); expiryDate is cacheExpiryDateTime and the
// parent id tag the group token.

interface IdTagEntry {
  idTag: string;
  idTagInfo?: { status: string; expiryDate?: string; parentIdTag?: string };
}

/** The 2.0.1 action and payload of a 1.6 GetLocalListVersion / SendLocalList. */
export function localListCall201(action: string, payload: Record<string, unknown>): Record<string, unknown> {
  if (action !== 'SendLocalList') return payload;
  const entries = (payload.localAuthorizationList as IdTagEntry[] | undefined) ?? [];
  return {
    versionNumber: payload.listVersion,
    updateType: payload.updateType,
    // 2.0.1 wants at least one entry when the list is given: an empty full update leaves it out.
    ...(entries.length > 0 && {
      localAuthorizationList: entries.map((entry) => ({
        idToken: idToken(entry.idTag),
        ...(entry.idTagInfo && {
          idTokenInfo: {
            status: entry.idTagInfo.status,
            ...(entry.idTagInfo.expiryDate && { cacheExpiryDateTime: entry.idTagInfo.expiryDate }),
            ...(entry.idTagInfo.parentIdTag && { groupIdToken: idToken(entry.idTagInfo.parentIdTag) }),
          },
        }),
      })),
    }),
  };
}

/** A 2.0.1 answer in 1.6 words (GetLocalListVersion's versionNumber is listVersion). */
export function localListAnswer16(action: string, answer: Record<string, unknown>): Record<string, unknown> {
  return action === 'GetLocalListVersion' ? { listVersion: answer.versionNumber } : answer;
}

function idToken(value: string) {
  return { idToken: value, type: 'ISO14443' };
}
