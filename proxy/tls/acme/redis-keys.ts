// Where --acme-store redis keeps ACME state. Everything is under `ocpp-edge:acme:`, beside the central system's
// `ocpp-edge:` keys, so `redis-cli --scan --pattern 'ocpp-edge:acme:*'` shows all of it.
//
//   ocpp-edge:acme:account:{directory-id}          hash  key (account private key PEM), record (JSON)
//   ocpp-edge:acme:certificate:{domain}            hash  record (current.json's JSON), cert (chain PEM), key (PEM)
//   ocpp-edge:acme:certificate:{domain}:previous   hash  the one it replaced, for a manual rollback
//   ocpp-edge:acme:domains                         set   domains with a live certificate
//   ocpp-edge:acme:lock                            string, PX expiry: the ordering lock (redis-lock.ts)
//   ocpp-edge:acme:challenge:{token}               string, PX expiry: pending http-01 key authorizations
//   ocpp-edge:acme:certificate-stored              pub/sub channel: a domain whose certificate was just stored

import { directoryId } from './store.js';

const PREFIX = 'ocpp-edge:acme:';

export const acmeKeys = {
  account: (directoryUrl: string) => `${PREFIX}account:${directoryId(directoryUrl)}`,
  certificate: (domain: string) => `${PREFIX}certificate:${domain.toLowerCase()}`,
  previousCertificate: (domain: string) => `${PREFIX}certificate:${domain.toLowerCase()}:previous`,
  domains: `${PREFIX}domains`,
  lock: `${PREFIX}lock`,
  challenge: (token: string) => `${PREFIX}challenge:${token}`,
  certificateStored: `${PREFIX}certificate-stored`,
};
