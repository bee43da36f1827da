// fail2ban, built in: the answers the central system gives to /ocpp/ upgrades (401 or 403: a wrong Basic-auth
// password, a missing or wrong client certificate, a security profile below the charger's) are counted per charge
// point id and per client address, and too many lead to a ban that doubles with each repeat.
//
// Why two rules, and why the address rule is so careful: chargers sit behind NAT. A site of 200 chargers on one
// router (or a carrier's APN gateway for thousands) shares one address. When one charger's password was rotated
// and it keeps reconnecting with the old one, its failures are all for its own id: the id rule bans that id (and
// the backend stops spending scrypt on it), the address and the other 199 chargers are untouched. Someone guessing
// passwords either hammers one id (the id rule again, whatever address they come from) or sprays many ids from
// one address: an address is banned only when its refusals span many distinct ids (--ban-ids-per-address) AND
// outnumber its accepted upgrades --ban-address-ratio times over, which a working site behind that address never
// does (each of its chargers connects once and stays). A site where everything is failing (every password wrong
// after a botched rotation) may be banned by address, which only paces retries that would fail anyway; add its
// gateway to --ban-ignore to rule even that out.

import type { Logger } from '../../common/logger.js';
import type { BanKind, BanList } from './ban-list.js';

export interface BanPolicyOptions {
  failuresPerId: number;
  idsPerAddress: number;
  addressRatio: number;
  windowMs: number;
  banMs: number;
  maxBanMs: number;
  /** Address keys never banned (--ban-ignore). */
  ignored(addressKey: string): boolean;
  onBan(kind: BanKind): void;
}

/** Counts of one key over the current window (a fixed window: simple, and a ban is what matters, not precision). */
interface Tally {
  start: number;
  failures: number;
  successes: number;
  ids: Set<string>;
}

export class BanPolicy {
  private readonly byId = new Map<string, Tally>();
  private readonly byAddress = new Map<string, Tally>();
  private lastSweep = 0;

  constructor(
    private readonly bans: BanList,
    private readonly options: BanPolicyOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The central system refused (401/403) an upgrade of `chargePointId` from `addressKey`. */
  failed(addressKey: string, chargePointId: string, status: number): void {
    const now = this.now();
    this.sweep(now);
    const { options } = this;
    const id = tally(this.byId, chargePointId, now, options.windowMs);
    id.failures++;
    if (
      options.failuresPerId > 0 &&
      id.failures >= options.failuresPerId &&
      !this.bans.find('charge_point', chargePointId)
    ) {
      this.byId.delete(chargePointId);
      this.ban('charge_point', chargePointId, `${id.failures} refused upgrades (last ${status}) within the window`, {
        address: addressKey,
      });
    }
    const address = tally(this.byAddress, addressKey, now, options.windowMs);
    address.failures++;
    address.ids.add(chargePointId);
    if (
      options.idsPerAddress > 0 &&
      address.ids.size >= options.idsPerAddress &&
      address.failures >= options.addressRatio * Math.max(1, address.successes) &&
      !options.ignored(addressKey) &&
      !this.bans.find('address', addressKey)
    ) {
      this.byAddress.delete(addressKey);
      this.ban(
        'address',
        addressKey,
        `${address.failures} refused upgrades for ${address.ids.size} charge point ids, ${address.successes} accepted, within the window`,
        {},
      );
    }
  }

  /** The central system accepted (101) an upgrade: the id starts afresh, the address's successes count. */
  succeeded(addressKey: string, chargePointId: string): void {
    const now = this.now();
    this.byId.delete(chargePointId);
    tally(this.byAddress, addressKey, now, this.options.windowMs).successes++;
  }

  private ban(kind: BanKind, key: string, reason: string, context: Record<string, unknown>): void {
    const now = this.now();
    const offences = this.bans.offences(kind, key) + 1;
    const durationMs = Math.min(this.options.maxBanMs, this.options.banMs * 2 ** (offences - 1));
    this.bans.add({ kind, key, until: now + durationMs, offences, reason, since: now });
    this.options.onBan(kind);
    this.logger.warn(
      { ban: kind, key, durationS: Math.round(durationMs / 1000), offences, reason, ...context },
      `banned ${kind === 'address' ? 'address' : 'charge point'} ${key} for ${Math.round(durationMs / 1000)} s: ${reason}`,
    );
  }

  /** At most once a window: forget the tallies of windows that ended. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.options.windowMs) return;
    this.lastSweep = now;
    for (const map of [this.byId, this.byAddress])
      for (const [key, each] of map) if (now - each.start >= this.options.windowMs) map.delete(key);
  }
}

function tally(map: Map<string, Tally>, key: string, now: number, windowMs: number): Tally {
  let each = map.get(key);
  if (!each || now - each.start >= windowMs) {
    each = { start: now, failures: 0, successes: 0, ids: new Set() };
    map.set(key, each);
  }
  return each;
}
