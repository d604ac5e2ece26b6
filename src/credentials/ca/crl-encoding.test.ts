import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { webcrypto } from "node:crypto";
import fc from "fast-check";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { CertificateList, CRLNumber, CRLReason, CRLReasons, Extension, id_ce_cRLReasons, RevokedCertificate, Time } from "@peculiar/asn1-x509";
import { CertificateAuthority, loadCertificateAuthority, randomSerial } from "./certificate-authority";
import { RevokedEntry, RevokedEntryEncoder, crlFrameFor, crlSignerFor, encodeCrl, sequenceHeader, serialOctets } from "./crl-encoding";
import { loadX509, X509 } from "../x509";
import type { CredentialsConfig } from "../../shared/config";

const HOUR = 3600_000;
const dirs: string[] = [];
let ecCa: CertificateAuthority;
let rsaCa: CertificateAuthority;
let x509: typeof X509;

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-crl-encoding-"));
  dirs.push(dir);
  return dir;
}

/** A CA from files, as CA_CERT_FILE and CA_KEY_FILE give it, with an RSA key. */
async function rsaAuthority(): Promise<CertificateAuthority> {
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=RSA test CA, O=dnsproof tests",
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + 24 * HOUR),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, "ca.pem"), certificate.toString("pem"));
  fs.writeFileSync(path.join(dir, "ca.key"), x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY"));
  const settings = { ca: { certFile: path.join(dir, "ca.pem"), keyFile: path.join(dir, "ca.key") } } as CredentialsConfig;
  return (await loadCertificateAuthority(settings, "production"))!;
}

beforeAll(async () => {
  x509 = await loadX509();
  ecCa = (await loadCertificateAuthority({ devDir: tempDir() } as CredentialsConfig, "development"))!;
  rsaCa = await rsaAuthority();
}, 60_000);
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const serial = () => randomSerial();
const thisUpdate = new Date("2026-12-06T10:00:00Z");
const nextUpdate = new Date(thisUpdate.getTime() + 24 * HOUR);

/** What asn1-schema writes for the entry, built the way @peculiar/x509's generator builds one. */
function asn1SchemaEntry(entry: RevokedEntry): Buffer {
  const crlEntryExtensions = entry.reason
    ? [new Extension({ extnID: id_ce_cRLReasons, critical: false, extnValue: new OctetString(AsnConvert.serialize(new CRLReason(entry.reason))) })]
    : undefined;
  return Buffer.from(AsnConvert.serialize(new RevokedCertificate({ userCertificate: new Uint8Array(serialOctets(entry.serialNumber)).buffer, revocationDate: new Time(entry.revokedAt), crlEntryExtensions })));
}

/** The CRL the previous code signed: @peculiar/x509's generator with the same frame. */
async function generatorCrl(ca: CertificateAuthority, entries: RevokedEntry[], crlNumber: number): Promise<X509.X509Crl> {
  const frame = crlFrameFor(ca, { thisUpdate, nextUpdate, crlNumber });
  return x509.X509CrlGenerator.create({
    issuer: ca.certificate.subjectName,
    thisUpdate,
    nextUpdate,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    entries: entries.map((e) => ({ serialNumber: e.serialNumber, revocationDate: e.revokedAt, reason: e.reason as number | undefined })),
    extensions: frame.extensions.map((extension) => new x509.Extension(AsnConvert.serialize(extension))),
  });
}

const tbsOf = (der: ArrayBuffer | Buffer) => Buffer.from(AsnConvert.parse(der, CertificateList).tbsCertListRaw!);

describe("RevokedEntryEncoder", () => {
  it("writes every entry exactly as asn1-schema does, whatever its serial, date and reason", () => {
    const encoder = new RevokedEntryEncoder();
    const entries = fc.record({
      // Leading zero octets and high bits both change the INTEGER's length.
      serialNumber: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => Buffer.from(bytes).toString("hex")),
      // Up to 2099: GeneralizedTime from 2050 on.
      revokedAt: fc.date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }),
      reason: fc.constantFrom(undefined, CRLReasons.cessationOfOperation, CRLReasons.privilegeWithdrawn, CRLReasons.keyCompromise),
    });
    fc.assert(
      fc.property(entries, (entry) => {
        expect(encoder.encode(entry).toString("hex")).toBe(asn1SchemaEntry(entry).toString("hex"));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes the times of one day, in order, as asn1-schema does", () => {
    const encoder = new RevokedEntryEncoder();
    const days = fc.record({
      midnight: fc.integer({ min: 7000, max: 47000 }).map((day) => day * 86_400_000),
      offsets: fc.array(fc.integer({ min: 0, max: 86_399_999 }), { minLength: 1, maxLength: 50 }),
    });
    fc.assert(
      fc.property(days, ({ midnight, offsets }) => {
        for (const offset of offsets.sort((a, b) => a - b)) {
          const entry = { serialNumber: "4f", revokedAt: new Date(midnight + offset), reason: CRLReasons.cessationOfOperation };
          expect(encoder.encode(entry).toString("hex")).toBe(asn1SchemaEntry(entry).toString("hex"));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("gives each serial the octets @peculiar/x509 gives it", () => {
    expect(serialOctets("00007f").toString("hex")).toBe("7f");
    expect(serialOctets("80").toString("hex")).toBe("0080");
    expect(serialOctets("abc").toString("hex")).toBe("0abc");
    expect(serialOctets("0000").toString("hex")).toBe("00");
  });
});

describe("sequenceHeader", () => {
  it("has the length octets of short and long forms", () => {
    expect(sequenceHeader(0).toString("hex")).toBe("3000");
    expect(sequenceHeader(127).toString("hex")).toBe("307f");
    expect(sequenceHeader(128).toString("hex")).toBe("308180");
    expect(sequenceHeader(4_333_381).toString("hex")).toBe("3083421f45");
  });
});

describe.each([
  ["EC P-256", () => ecCa],
  ["RSA 2048", () => rsaCa],
])("encodeCrl with an %s CA", (_name, authority) => {
  it("signs the very TBSCertList @peculiar/x509's generator signed, entries and extensions alike", async () => {
    const ca = authority();
    const entries = Array.from({ length: 300 }, (_, i) => ({
      serialNumber: serial(),
      revokedAt: new Date(thisUpdate.getTime() - (i + 1) * 7_777),
      // The generator writes an empty extension list for an entry without a reason; ours leaves it out (RFC 5280 wants one or more).
      reason: i % 2 ? CRLReasons.cessationOfOperation : CRLReasons.privilegeWithdrawn,
    }));
    const ours = await encodeCrl(crlFrameFor(ca, { thisUpdate, nextUpdate, crlNumber: 42 }), await crlSignerFor(ca), entries);
    const theirs = await generatorCrl(ca, entries, 42);
    expect(tbsOf(ours).equals(tbsOf(theirs.rawData))).toBe(true);
    expect(await new x509.X509Crl(ours).verify({ publicKey: ca.certificate.publicKey })).toBe(true);
  });

  it("round-trips through X509Crl: issuer, times, number, key id, and each serial, date and reason", async () => {
    const ca = authority();
    const entries: RevokedEntry[] = Array.from({ length: 1000 }, (_, i) => ({
      serialNumber: i === 0 ? "ff01" : serial(),
      revokedAt: new Date(thisUpdate.getTime() - (i + 1) * 1_001),
      reason: [undefined, CRLReasons.cessationOfOperation, CRLReasons.privilegeWithdrawn][i % 3],
    }));
    const crl = new x509.X509Crl(await encodeCrl(crlFrameFor(ca, { thisUpdate, nextUpdate, crlNumber: 1_767_100_000_123 }), await crlSignerFor(ca), entries));
    expect(crl.issuer).toBe(ca.certificate.subject);
    expect(crl.thisUpdate).toEqual(thisUpdate);
    expect(crl.nextUpdate).toEqual(nextUpdate);
    expect(crl.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(ca.keyId);
    const number = crl.extensions.find((e) => e.type === "2.5.29.20")!;
    expect(Buffer.from(number.value).toString("hex")).toBe(Buffer.from(AsnConvert.serialize(new CRLNumber(1_767_100_000_123))).toString("hex"));
    expect(crl.entries.map((e) => [e.serialNumber, e.revocationDate.getTime(), e.reason])).toEqual(
      entries.map((e) => [e.serialNumber, Math.floor(e.revokedAt.getTime() / 1000) * 1000, e.reason]),
    );
    // No empty extension list on entries without a reason.
    expect(crl.entries[0].extensions).toEqual([]);
    expect(await crl.verify({ publicKey: ca.certificate.publicKey })).toBe(true);
  });

  it("leaves the list out when nothing is revoked, as the generator did", async () => {
    const ca = authority();
    const ours = await encodeCrl(crlFrameFor(ca, { thisUpdate, nextUpdate, crlNumber: 7 }), await crlSignerFor(ca), []);
    expect(tbsOf(ours).equals(tbsOf((await generatorCrl(ca, [], 7)).rawData))).toBe(true);
    expect(new x509.X509Crl(ours).entries).toEqual([]);
  });
});
