// A simulated charger's local authorization list (OCPP 1.6 Local Auth List Management), answered as a charger
// does: a version, Full updates that replace the list, Differential updates that must carry a higher version
// (else VersionMismatch), entries without idTagInfo removing a tag, and Failed for more entries than
// SendLocalListMaxLength per message or LocalAuthListMaxLength in all.

export interface AuthorizationEntry {
  idTag: string;
  idTagInfo?: { status: string; expiryDate?: string; parentIdTag?: string };
}

export class LocalAuthList {
  version = 0;
  readonly entries = new Map<string, NonNullable<AuthorizationEntry['idTagInfo']>>();

  send(
    request: {
      listVersion: number;
      updateType: 'Full' | 'Differential';
      localAuthorizationList?: AuthorizationEntry[];
    },
    limits: { sendLocalListMaxLength: number; localAuthListMaxLength: number },
  ): 'Accepted' | 'Failed' | 'VersionMismatch' {
    const list = request.localAuthorizationList ?? [];
    if (list.length > limits.sendLocalListMaxLength) return 'Failed';
    if (request.updateType === 'Differential' && request.listVersion <= this.version) return 'VersionMismatch';
    const next = request.updateType === 'Full' ? new Map() : new Map(this.entries);
    for (const entry of list) {
      if (entry.idTagInfo) next.set(entry.idTag, entry.idTagInfo);
      else next.delete(entry.idTag);
    }
    if (next.size > limits.localAuthListMaxLength) return 'Failed';
    this.entries.clear();
    for (const [idTag, info] of next) this.entries.set(idTag, info);
    this.version = request.listVersion;
    return 'Accepted';
  }
}
