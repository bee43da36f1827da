// "DNS A/AAAA of each configured domain pointing at this host": every address a domain resolves to must be one of
// this host's (its interfaces', or --address behind NAT), or chargers and the ACME CA reach another machine. The
// records are read with the system's resolver or, with --resolver, from that server (a record just changed at the
// provider, before caches expire).

import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import { fail, ok, warn, type Finding } from './result.js';

/** The non-loopback addresses of this host's interfaces. */
export function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal)
    .map((info) => info!.address.replace(/%.*$/, ''));
}

export async function dnsCheck(domain: string, hostAddresses: readonly string[], server?: string): Promise<Finding> {
  const check = `DNS ${domain}`;
  if (domain === 'localhost' || isIP(domain) !== 0) return ok(check, 'local name or address: nothing to resolve');
  if (domain.startsWith('*.'))
    return warn(
      check,
      'a wildcard: its records cannot be asked for',
      `check one name under it, e.g. cp1.${domain.slice(2)}`,
    );
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (server) resolver.setServers([server]);
  const [v4, v6] = await Promise.all([records(resolver.resolve4(domain)), records(resolver.resolve6(domain))]);
  const addresses = [...v4.addresses, ...v6.addresses];
  const failure = v4.error ?? v6.error;
  // No answer at all is not "no record": say that the question did not get through.
  if (addresses.length === 0 && failure)
    return warn(
      check,
      `the DNS server did not answer (${failure})`,
      'check /etc/resolv.conf, or ask one with --resolver IP',
    );
  if (addresses.length === 0)
    return fail(check, 'no A or AAAA record', `add an A record ${domain} → ${hostAddresses[0] ?? 'this host'}`);
  const foreign = addresses.filter((address) => !hostAddresses.includes(address));
  if (foreign.length > 0)
    return fail(
      check,
      `resolves to ${addresses.join(', ')}; ${foreign.join(', ')} ${foreign.length === 1 ? 'is' : 'are'} not this host (${hostAddresses.join(', ') || 'no address'})`,
      `point the ${foreign.some((a) => a.includes(':')) ? 'A/AAAA records' : 'A record'} of ${domain} at this host (behind NAT: --address PUBLIC_IP)`,
    );
  return ok(check, `resolves to ${addresses.join(', ')}: this host`);
}

/** NODATA and NXDOMAIN are an empty answer; other failures are kept for the message. */
async function records(lookup: Promise<string[]>): Promise<{ addresses: string[]; error?: string }> {
  try {
    return { addresses: await lookup };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { addresses: [], error: code === 'ENODATA' || code === 'ENOTFOUND' ? undefined : code };
  }
}
