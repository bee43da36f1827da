// Which validation each charger gets: --ocpp-validation, unless the REST API set an override for it (stored in
// charge_points.ocpp_validation). A change applies at once to a charger connected to this instance, and to one on
// another instance at its next connection.

import type { ChargerValidator, ValidationMode } from './validator.js';

export class ValidationModes {
  private readonly live = new Map<string, readonly ChargerValidator[]>();

  constructor(readonly defaultMode: ValidationMode) {}

  /** The mode for a charger with this stored override. */
  effective(override: string | null | undefined): ValidationMode {
    return override === 'strict' || override === 'tolerant' ? override : this.defaultMode;
  }

  attach(chargePointId: string, validators: readonly ChargerValidator[]): void {
    this.live.set(chargePointId, validators);
  }

  detach(chargePointId: string, validators: readonly ChargerValidator[]): void {
    if (this.live.get(chargePointId) === validators) this.live.delete(chargePointId);
  }

  /** A new override (null: none) for a connected charger. */
  apply(chargePointId: string, override: string | null): void {
    const mode = this.effective(override);
    for (const validator of this.live.get(chargePointId) ?? []) validator.mode = mode;
  }
}
