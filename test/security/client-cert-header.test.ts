/**
 * Replays the review's findings on TLS_CLIENT_CERT_HEADER behind TRUST_PROXY given as a hop count
 * or "true": a client connecting directly sent a certificate's PEM (no key needed) in the header
 * and was authenticated as its owner, and rotating X-Forwarded-For got every bad key past the
 * authentication-failure limit. The header now needs TRUST_PROXY to list the proxy, and is read
 * only when the connection itself comes from it. Every request stays on loopback: 127.0.0.2 plays
 * the proxy, 127.0.0.1 the client that connects directly.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { systemClock } from "../../src/shared/clock";
import { ConfigError } from "../../src/shared/config";
import { DATABASE_FLAVORS, ScratchDatabase, createScratchDatabase } from "../support/databases";
import { ScriptedVerifier } from "../../src/verification/testing/scripted-verifier";
import { TestApp, startTestApp } from "../support/test-app";
import { PkiWorkspace, createPkiWorkspace } from "../support/pki";

const CLAIM = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id txtRecord { value } } } }`;
const VERIFY = `mutation($id: ID!) { verifyDomain(input: { id: $id }) { verified } }`;
const ISSUE = `mutation($domainId: ID!, $csr: String!) { issueCertificate(input: { domainId: $domainId, csr: $csr }) { certificate { pem } userErrors { code } } }`;
const VIEWER = `{ viewer { accountId } }`;
const PROXY = "127.0.0.2";
const DIRECT = "127.0.0.1";

/** POSTs a GraphQL query from `localAddress`, so the server sees that address as its peer. */
function postFrom(url: string, localAddress: string, query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const body = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/graphql`,
      { method: "POST", localAddress, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers }, timeout: 10_000 },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    request.on("timeout", () => request.destroy(new Error("request timed out")));
    request.on("error", reject);
    request.end(body);
  });
}

describe.each(DATABASE_FLAVORS)("the client-certificate header on %s", (db) => {
  let database: ScratchDatabase;
  let issuer: TestApp;
  let pki: PkiWorkspace;
  let devDir: string;
  let victimPem: string;
  const victim = `cert-header-victim-${db}`;
  const verifier = new ScriptedVerifier(systemClock);
  const env = () => ({ DEV_CREDENTIALS_DIR: devDir });

  beforeAll(async () => {
    pki = createPkiWorkspace();
    devDir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-cert-header-"));
    database = await createScratchDatabase(db);
    // The victim's certificate, issued by a server without the header; its PEM is public (every TLS handshake shows it).
    issuer = await startTestApp({ db, database, overrides: { verifier }, env: env() });
    const token = await issuer.token(victim);
    const name = `victim-${db}.example.com`;
    const { domain } = (await issuer.gql(CLAIM, { name }, { token })).body.data.claimDomain;
    verifier.publish(name, [domain.txtRecord.value.replace("dnsproof-verification=", "")]);
    expect((await issuer.gql(VERIFY, { id: domain.id }, { token })).body.data.verifyDomain.verified).toBe(true);
    const issued = (await issuer.gql(ISSUE, { domainId: domain.id, csr: await pki.csr(await pki.key("ec")) }, { token })).body.data.issueCertificate;
    expect(issued.userErrors).toEqual([]);
    victimPem = issued.certificate.pem;
  });
  afterAll(async () => {
    await issuer?.close();
    await database?.drop();
    pki?.cleanup();
    fs.rmSync(devDir, { recursive: true, force: true });
  });

  it.each(["true", "1"])("refuses to start with TRUST_PROXY=%s and TLS_CLIENT_CERT_HEADER, naming the fix", async (trustProxy) => {
    const outcome = await startTestApp({ db, database, overrides: { verifier }, env: { ...env(), TRUST_PROXY: trustProxy, TLS_CLIENT_CERT_HEADER: "x-client-cert" } }).then(
      async (t) => {
        // Started: what a client connecting directly gets by sending the victim's public certificate.
        const attack = await postFrom(t.url, DIRECT, VIEWER, { "x-client-cert": encodeURIComponent(victimPem) });
        await t.close();
        return { started: true, authenticatedAs: attack.body.data?.viewer?.accountId ?? null };
      },
      (error: unknown) => error,
    );
    expect(outcome).toEqual(expect.any(ConfigError));
    expect((outcome as Error).message).toMatch(/TLS_CLIENT_CERT_HEADER needs TRUST_PROXY to name the proxy/);
    expect((outcome as Error).message).toMatch(/set TRUST_PROXY to the proxy's addresses or subnets/);
  });

  it("reads the header only from a listed proxy, whatever X-Forwarded-For claims", async () => {
    const t = await startTestApp({ db, database, overrides: { verifier }, env: { ...env(), TRUST_PROXY: `${PROXY}/32`, TLS_CLIENT_CERT_HEADER: "x-client-cert" } });
    try {
      const header = { "x-client-cert": encodeURIComponent(victimPem) };
      expect((await postFrom(t.url, PROXY, VIEWER, header)).body.data.viewer.accountId).toBe(victim);
      for (const forwarded of [{}, { "x-forwarded-for": PROXY }, { "x-forwarded-for": `203.0.113.9, ${PROXY}` }] as Record<string, string>[]) {
        const direct = await postFrom(t.url, DIRECT, VIEWER, { ...header, ...forwarded });
        expect(direct.status).toBe(401);
        expect(direct.body.data?.viewer ?? null).toBeNull();
        expect(direct.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
      }
    } finally {
      await t.close();
    }
  });
});

describe("the authentication-failure limit and X-Forwarded-For", () => {
  const LIMIT = 5;
  const badKey = (i: number) => ({ authorization: `Bearer dpk_${"0".repeat(40)}${String(i).padStart(3, "0")}` });
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: `${PROXY}/32`, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(async () => t?.close());

  it("keeps counting a direct client's failures however it rotates X-Forwarded-For", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const forwarded = { "x-forwarded-for": `198.51.100.${i + 1}` };
      statuses.push((await postFrom(t.url, DIRECT, VIEWER, { ...badKey(i), ...forwarded })).status);
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual(Array(20 - LIMIT).fill(429));
  });

  it("tells clients apart by X-Forwarded-For behind the listed proxy", async () => {
    // Each client behind the proxy has its own budget: the limit follows the address the proxy vouches for.
    for (let i = 0; i < LIMIT + 3; i++) {
      const forwarded = { "x-forwarded-for": `203.0.113.${i + 1}` };
      expect((await postFrom(t.url, PROXY, VIEWER, { ...badKey(i), ...forwarded })).status).toBe(401);
    }
  });
});
