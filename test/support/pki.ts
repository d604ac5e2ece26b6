/**
 * openssl and curl for credential tests: keys and CSRs made the way a client would make them,
 * certificates and CRLs checked the way a relying party would, and the mutual-TLS port called
 * with and without client certificates.
 *
 *     const pki = createPkiWorkspace();
 *     const csr = await pki.csr(await pki.key("ec"), { subject: "/CN=x", sans: ["DNS:other.test"] });
 *     await pki.verify(certPem, caPem, crlDer);   // { ok, output }
 *     await pki.curl(url, { cert, key, body });    // { status, body }
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type KeyType = "ec" | "ec384" | "ed25519" | "rsa2048" | "rsa1024";

const KEY_ARGS: Record<KeyType, string[]> = {
  ec: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  ec384: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  ed25519: ["-algorithm", "ed25519"],
  rsa2048: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  rsa1024: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
};

export interface PkiWorkspace {
  dir: string;
  /** A fresh private key; returns its file. */
  key(type: KeyType): Promise<string>;
  /** A CSR (PEM) for `keyFile`, asking for `subject` and optionally other names. */
  csr(keyFile: string, options?: { subject?: string; sans?: string[] }): Promise<string>;
  /** A self-signed certificate for `keyFile` (subject, SAN, clientAuth): what an impostor would present. Returns its file. */
  selfSigned(keyFile: string, domain: string, options?: { ca?: boolean }): Promise<string>;
  /** A server certificate for 127.0.0.1 signed by nobody; returns { cert, key } files. */
  serverCertificate(): Promise<{ cert: string; key: string }>;
  /** Writes `content` to a file of the workspace and returns its path. */
  write(name: string, content: string | Buffer): string;
  /** `openssl verify` of a leaf against a CA, with the CRL when given (-crl_check); at `atTime` (seconds) when given. */
  verify(certPem: string, caPem: string, crlDer?: Buffer, atTime?: number): Promise<{ ok: boolean; output: string }>;
  /** `openssl x509 -text` */
  text(certPem: string): Promise<string>;
  /** `openssl crl -text` of a DER CRL. */
  crlText(crlDer: Buffer): Promise<string>;
  /** POSTs a GraphQL body with curl, trusting `serverCert`; with a client certificate when given. */
  curl(url: string, options: { serverCert: string; cert?: string; key?: string; body: unknown; token?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  cleanup(): void;
}

export function createPkiWorkspace(): PkiWorkspace {
  const dir = mkdtempSync(path.join(tmpdir(), "dnsproof-pki-"));
  let seq = 0;
  const file = (name: string) => path.join(dir, `${++seq}-${name}`);
  const openssl = async (args: string[], input?: string) => {
    try {
      const { stdout, stderr } = await run("openssl", args, { cwd: dir });
      return { ok: true, output: stdout + stderr };
    } catch (error: any) {
      return { ok: false, output: String(error.stdout ?? "") + String(error.stderr ?? "") };
    }
  };
  const must = async (args: string[]) => {
    const result = await openssl(args);
    if (!result.ok) throw new Error(`openssl ${args.join(" ")} failed: ${result.output}`);
    return result.output;
  };
  const workspace: PkiWorkspace = {
    dir,
    async key(type) {
      const out = file(`${type}.key`);
      await must(["genpkey", ...KEY_ARGS[type], "-out", out]);
      return out;
    },
    async csr(keyFile, { subject = "/CN=ignored.example", sans = [] } = {}) {
      const out = file("request.csr");
      await must(["req", "-new", "-key", keyFile, "-subj", subject, ...(sans.length ? ["-addext", `subjectAltName=${sans.join(",")}`] : []), "-out", out]);
      return readFileSync(out, "utf8");
    },
    async selfSigned(keyFile, domain, { ca = false } = {}) {
      const out = file("self-signed.pem");
      await must([
        "req", "-new", "-x509", "-key", keyFile, "-subj", `/CN=${domain}`, "-days", "30",
        "-addext", `subjectAltName=DNS:${domain}`, "-addext", "extendedKeyUsage=clientAuth",
        "-addext", `basicConstraints=critical,CA:${ca ? "TRUE" : "FALSE"}`, "-out", out,
      ]);
      return out;
    },
    async serverCertificate() {
      const key = await workspace.key("ec");
      const cert = file("server.pem");
      await must(["req", "-new", "-x509", "-key", key, "-subj", "/CN=127.0.0.1", "-days", "30", "-addext", "subjectAltName=IP:127.0.0.1", "-out", cert]);
      return { cert, key };
    },
    write(name, content) {
      const out = file(name);
      writeFileSync(out, content);
      return out;
    },
    async verify(certPem, caPem, crlDer, atTime) {
      const args = ["verify", "-CAfile", workspace.write("ca.pem", caPem)];
      if (crlDer) args.push("-crl_check", "-CRLfile", workspace.write("crl.pem", derToPem(crlDer, "X509 CRL")));
      if (atTime !== undefined) args.push("-attime", String(Math.floor(atTime)));
      args.push("-purpose", "sslclient", workspace.write("leaf.pem", certPem));
      return openssl(args);
    },
    async text(certPem) {
      return must(["x509", "-noout", "-text", "-in", workspace.write("leaf.pem", certPem)]);
    },
    async crlText(crlDer) {
      return must(["crl", "-inform", "DER", "-noout", "-text", "-in", workspace.write("crl.der", crlDer)]);
    },
    async curl(url, { serverCert, cert, key, body, token, headers = {} }) {
      const args = ["-sS", "--max-time", "10", "--cacert", serverCert, "-o", "-", "-w", "\n%{http_code}", "-H", "content-type: application/json", "--data-binary", JSON.stringify(body)];
      if (cert) args.push("--cert", cert);
      if (key) args.push("--key", key);
      if (token) args.push("-H", `authorization: Bearer ${token}`);
      for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
      const { stdout } = await run("curl", [...args, url]);
      const cut = stdout.lastIndexOf("\n");
      return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return workspace;
}

export function derToPem(der: Buffer, label: string): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
