// How simulated chargers authenticate: --security-profile 0-3 (OCPP security whitepaper) checked against the
// other flags once, before any charger starts, and the TLS context each charger connects with.
//
//   0  nothing asked of the flags;          1  --password (ws:// or wss://);
//   2  --password over wss://;              3  --client-cert/--client-key over wss://
//
// A profile-3 fleet needs one certificate per charger (its CN is the charger's identity): "{id}" in the
// --client-cert and --client-key paths is replaced by each charger's id.

import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { ConfigError } from '../../common/config.js';
import type { SimulationOptions } from './options.js';

export interface ChargerCredentials {
  password: string | undefined;
  /** The TLS context of this charger's connections (wss:// only). */
  secureContext(identity: string): SecureContext | undefined;
}

const ID_PLACEHOLDER = '{id}';

export function chargerCredentials(options: SimulationOptions): ChargerCredentials {
  const profile = options.securityProfile;
  const secure = options.url.startsWith('wss:');
  if (profile >= 1 && profile <= 2 && options.password === undefined)
    throw new ConfigError('--password', `security profile ${profile} authenticates with a password: give --password`);
  if (profile >= 2 && !secure)
    throw new ConfigError('--url', `security profile ${profile} needs TLS: a wss:// URL, got ${options.url}`);
  if (profile === 3 && (options.clientCert === undefined || options.clientKey === undefined))
    throw new ConfigError('--client-cert', 'security profile 3 needs --client-cert and --client-key');
  if ((options.clientCert === undefined) !== (options.clientKey === undefined))
    throw new ConfigError('--client-key', '--client-cert and --client-key go together');
  if (options.clientCert !== undefined && !secure)
    throw new ConfigError('--client-cert', `a client certificate needs a wss:// URL, got ${options.url}`);

  const ca = options.ca === undefined ? undefined : readOption('--ca', options.ca);
  // One TLS context for the whole fleet when it can be: given `ca` per connection, Node would parse every root
  // certificate again for each handshake (measured: 3,000 wss chargers took 70 s and 3 GB). The --ca is added to
  // the system CAs rather than replacing them, so the same run may target a public endpoint.
  const trusted = ca ? [...rootCertificates, ca] : undefined;
  const contextFor = (cert?: string, key?: string): SecureContext => {
    try {
      return createSecureContext({ ca: trusted, cert, key });
    } catch (error) {
      const key = cert === undefined ? '--ca' : '--client-cert';
      throw new ConfigError(key, `cannot use the certificate: ${(error as Error).message}`);
    }
  };
  if (!secure) return { password: options.password, secureContext: () => undefined };
  const { clientCert, clientKey } = options;
  if (clientCert === undefined || clientKey === undefined) {
    const shared = contextFor();
    return { password: options.password, secureContext: () => shared };
  }
  if (!clientCert.includes(ID_PLACEHOLDER)) {
    const shared = contextFor(readOption('--client-cert', clientCert), readOption('--client-key', clientKey));
    return { password: options.password, secureContext: () => shared };
  }
  return {
    password: options.password,
    secureContext: (identity) =>
      contextFor(
        readOption('--client-cert', clientCert.replaceAll(ID_PLACEHOLDER, identity)),
        readOption('--client-key', clientKey.replaceAll(ID_PLACEHOLDER, identity)),
      ),
  };
}

function readOption(key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(key, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
