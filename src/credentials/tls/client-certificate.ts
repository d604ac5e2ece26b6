import { TLSSocket } from "node:tls";
import type { Request } from "express";
import { loadX509, pemBlocks } from "../x509";

/** Where a TLS-terminating proxy forwards the client certificate, and which peers are that proxy. */
export interface ClientCertificateHeader {
  name: string;
  /** True for the immediate peer's address (the socket's, never X-Forwarded-For) when it is a listed proxy. */
  fromProxy: (remoteAddress: string | undefined) => boolean;
}

/**
 * The client certificate of a request, DER: the one presented on our own TLS port, or, behind a
 * TLS-terminating proxy, the one it forwards in `header` (URL-encoded PEM, as nginx's
 * $ssl_client_escaped_cert) when the connection itself comes from a proxy TRUST_PROXY lists.
 * Anyone else could write that header, so from anywhere else it is ignored, whatever
 * X-Forwarded-For says about the hops before.
 */
export async function clientCertificateOf(req: Request, header: ClientCertificateHeader | null): Promise<Uint8Array | null> {
  const socket = req.socket;
  if (socket instanceof TLSSocket) {
    const peer = socket.getPeerCertificate(false);
    if (peer && Buffer.isBuffer(peer.raw)) return new Uint8Array(peer.raw);
  }
  if (!header) return null;
  const value = req.headers[header.name];
  if (typeof value !== "string" || value === "" || !header.fromProxy(socket.remoteAddress)) return null;
  let pem: string;
  try {
    pem = decodeURIComponent(value);
  } catch {
    return null;
  }
  const [block] = pemBlocks(pem, /^CERTIFICATE$/);
  if (!block) return null;
  const x509 = await loadX509();
  try {
    return new Uint8Array(x509.PemConverter.decodeFirst(block));
  } catch {
    return null;
  }
}
