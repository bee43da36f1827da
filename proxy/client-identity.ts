// What the proxy tells the upstream about the TLS client's certificate (OCPP security profile 3), on every route:
// the verdict of --client-ca/--client-crl on this connection in the headers of common/client-certificate-headers.ts,
// after deleting whatever copy of them the client sent. Without --client-ca the verdict is always NONE, so a
// forged header never reaches the backend either.

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../common/logger.js';
import {
  setClientCertificateHeaders,
  type ClientCertificateVerification,
} from '../common/client-certificate-headers.js';
import type { ProxyMetrics } from './metrics.js';
import type { ClientTrust } from './tls/client-trust.js';

const VERIFIED = Symbol('ocpp-edge.client-certificate');
type VerifiedSocket = TLSSocket & { [VERIFIED]?: ClientCertificateVerification };
const NONE: ClientCertificateVerification = { verify: 'NONE' };

export class ClientIdentity {
  constructor(
    /** Replaced on SIGHUP (the CA and CRL files are read again); undefined: no --client-ca. */
    public trust: ClientTrust | undefined,
    private readonly metrics: Pick<ProxyMetrics, 'clientCertificates'>,
    private readonly logger: Logger,
  ) {}

  /** Sets the identity headers on the request to forward (HTTP request or WebSocket upgrade). */
  setHeaders(req: IncomingMessage): void {
    setClientCertificateHeaders(req.headers, this.verification(req.socket as TLSSocket));
  }

  /** The verdict for this connection, computed once: keep-alive requests and an upgrade on it reuse it. */
  verification(socket: TLSSocket): ClientCertificateVerification {
    const verified = socket as VerifiedSocket;
    const cached = verified[VERIFIED];
    if (cached) return cached;
    if (!this.trust) return NONE;
    const verification = this.trust.verify(socket);
    verified[VERIFIED] = verification;
    const result = verification.verify === 'FAILED' ? `FAILED:${verification.reason}` : verification.verify;
    this.metrics.clientCertificates.inc({ result, resumed: String(socket.isSessionReused()) });
    if (verification.verify === 'FAILED')
      this.logger.info(
        {
          client: socket.remoteAddress,
          subject: verification.subject,
          serial: verification.serial,
          reason: verification.reason,
          resumed: socket.isSessionReused(),
        },
        'client certificate did not verify; forwarded as FAILED',
      );
    return verification;
  }
}
