// One ACME order, start to finish (RFC 8555 §7.4): new order (with `profile` and ARI `replaces` when asked),
// http-01 for each pending authorization, finalize with a fresh key's CSR, poll a "processing" order, download.
// Authorizations the CA reuses ("valid" already) are skipped, never re-POSTed.

import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import acme from 'acme-client';
import type { Logger } from '../../../common/logger.js';
import type { ChallengeStore } from '../types.js';
import { AcmeOperationError, withProblemCapture } from './problem.js';

export type AcmeKeyType = 'ecdsa-p256' | 'rsa-2048';

export interface OrderRequest {
  client: acme.Client;
  domains: string[];
  keyType: AcmeKeyType;
  profile: string | undefined;
  /** RFC 9773 certificate id of the certificate being renewed. */
  replaces: string | undefined;
  challenges: ChallengeStore;
  /** Where our own port-80 listener can be reached, for the pre-flight self-check (see selfCheck). */
  selfCheck: { host: string; port: number; timeoutMs: number } | undefined;
  logger: Logger;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  orderUrl: string;
}

export async function orderCertificate(request: OrderRequest): Promise<IssuedCertificate> {
  const { client, domains, logger } = request;
  let step = 'creating order';
  return withProblemCapture(
    () => step,
    async () => {
      const payload: Record<string, unknown> = { identifiers: domains.map((value) => ({ type: 'dns', value })) };
      if (request.profile) payload.profile = request.profile;
      if (request.replaces) payload.replaces = request.replaces;
      const order = await client.createOrder(payload as never);
      logger.info(
        { order: order.url, domains, profile: request.profile, replaces: request.replaces },
        'ACME order created',
      );

      step = 'answering challenges';
      const authorizations = await client.getAuthorizations(order);
      const published: string[] = [];
      try {
        for (const authorization of authorizations) {
          if (authorization.status === 'valid') continue;
          const name = authorization.identifier.value;
          const challenge = authorization.challenges.find((candidate) => candidate.type === 'http-01');
          if (!challenge) throw new AcmeOperationError(`the CA offers no http-01 challenge for ${name}`, undefined);
          const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
          await request.challenges.set(challenge.token, keyAuthorization);
          published.push(challenge.token);
          if (request.selfCheck) await selfCheck(request.selfCheck, name, challenge.token, keyAuthorization, logger);
          step = `validating ${name}`;
          await client.completeChallenge(challenge);
          await client.waitForValidStatus(challenge);
          logger.info({ domain: name }, 'http-01 challenge valid');
        }
        step = 'waiting for the order to be ready';
        // "ready" counts as done. The result lacks the order URL acme-client needs later, so keep `order` as is.
        await client.waitForValidStatus(order);
      } finally {
        // Tokens are single-use; leaving them would only clutter the shared directory.
        await Promise.all(published.map((token) => request.challenges.remove(token).catch(() => undefined)));
      }

      step = 'finalizing';
      const keyPem = generateCertificateKey(request.keyType);
      const [, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: domains }, keyPem);
      const finalized = await client.finalizeOrder(order, csr);
      step = 'downloading certificate';
      const certPem = await client.getCertificate(finalized); // polls a "processing" order until "valid"
      return { certPem, keyPem, orderUrl: order.url };
    },
  );
}

/** A fresh key for every certificate (never reused across renewals), PKCS#8 PEM. */
export function generateCertificateKey(keyType: AcmeKeyType): string {
  const { privateKey } =
    keyType === 'rsa-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Before asking the CA to validate, fetch the token from our own port-80 listener. A failed validation costs a
 * failed authorization against the CA's limits; a local miss (listener not up yet, challenge store not shared)
 * is cheap to wait for. If it never answers we go ahead anyway: port forwarding or a balancer may still work.
 */
async function selfCheck(
  target: { host: string; port: number; timeoutMs: number },
  domain: string,
  token: string,
  expected: string,
  logger: Logger,
): Promise<void> {
  const deadline = Date.now() + target.timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const answer = await fetchToken(target.host, target.port, domain, token).catch(
      (error: Error) => `error: ${error.message}`,
    );
    if (answer === expected) return;
    last = answer.length > 80 ? `${answer.slice(0, 80)}…` : answer;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  logger.warn(
    { domain, host: target.host, port: target.port, answer: last },
    'our own HTTP listener does not serve the challenge token yet; asking the CA anyway',
  );
}

function fetchToken(host: string, port: number, domain: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host, port, path: `/.well-known/acme-challenge/${token}`, headers: { host: domain }, timeout: 2_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve(response.statusCode === 200 ? body.trim() : `HTTP ${response.statusCode}`));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}
