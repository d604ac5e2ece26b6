import { TLSSocket } from "node:tls";
import type { Request } from "express";
import { loadX509, pemBlocks } from "../x509";

/**
 * The client certificate of a request, DER: the one presented on our own TLS port, or, behind a
 * TLS-terminating proxy, the one it forwards in `header` (URL-encoded PEM, as nginx's
 * $ssl_client_escaped_cert) when the request comes from a TRUST_PROXY hop. Anyone else could
 * write that header, so from anywhere else it is ignored.
 */
export async function clientCertificateOf(req: Request, header?: string): Promise<Uint8Array | null> {
  const socket = req.socket;
  if (socket instanceof TLSSocket) {
    const peer = socket.getPeerCertificate(false);
    if (peer && Buffer.isBuffer(peer.raw)) return new Uint8Array(peer.raw);
  }
  if (!header) return null;
  const value = req.headers[header];
  if (typeof value !== "string" || value === "" || !fromTrustedProxy(req)) return null;
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

function fromTrustedProxy(req: Request): boolean {
  const trust = req.app.get("trust proxy fn") as ((address: string, hop: number) => boolean) | undefined;
  return Boolean(trust && req.socket.remoteAddress && trust(req.socket.remoteAddress, 0));
}
