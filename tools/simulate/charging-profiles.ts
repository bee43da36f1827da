// The charging profiles a simulated OCPP 2.0.1 station keeps (SetChargingProfile / ClearChargingProfile, K01 and
// K10): one per id, a new one replacing the profile of the same id, or of the same purpose and stack level on the
// same EVSE; at most SmartChargingCtrlr.Entries of them.

export interface ChargingProfile {
  id: number;
  stackLevel: number;
  chargingProfilePurpose: string;
  [field: string]: unknown;
}

export interface ClearCriteria {
  evseId?: number;
  chargingProfilePurpose?: string;
  stackLevel?: number;
}

export class ChargingProfiles {
  private readonly installed = new Map<number, { evseId: number; profile: ChargingProfile; installedAt: number }>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.installed.size;
  }

  /** Profiles by id, with the EVSE each applies to and when it was installed (ms since the epoch). */
  list(): Array<{ evseId: number; profile: ChargingProfile; installedAt: number }> {
    return [...this.installed.values()];
  }

  set(evseId: number, profile: ChargingProfile): 'Accepted' | 'Rejected' {
    // One EVSE (and 0, the station).
    if (evseId > 1) return 'Rejected';
    for (const [id, held] of this.installed)
      if (
        id !== profile.id &&
        held.evseId === evseId &&
        held.profile.chargingProfilePurpose === profile.chargingProfilePurpose &&
        held.profile.stackLevel === profile.stackLevel
      )
        this.installed.delete(id);
    if (!this.installed.has(profile.id) && this.installed.size >= this.maxEntries) return 'Rejected';
    this.installed.set(profile.id, { evseId, profile, installedAt: Date.now() });
    return 'Accepted';
  }

  /** Removes what matches (everything when nothing is given); Unknown when nothing did. */
  clear(id: number | undefined, criteria: ClearCriteria | undefined): 'Accepted' | 'Unknown' {
    let removed = 0;
    for (const [profileId, held] of this.installed) {
      const matches =
        (id === undefined || profileId === id) &&
        (criteria?.evseId === undefined || held.evseId === criteria.evseId) &&
        (criteria?.chargingProfilePurpose === undefined ||
          held.profile.chargingProfilePurpose === criteria.chargingProfilePurpose) &&
        (criteria?.stackLevel === undefined || held.profile.stackLevel === criteria.stackLevel);
      if (matches) {
        this.installed.delete(profileId);
        removed++;
      }
    }
    return removed > 0 ? 'Accepted' : 'Unknown';
  }
}
