import { webcrypto } from "node:crypto";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  CertificateList,
  CRLNumber,
  CRLReason,
  CRLReasons,
  Extension,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  KeyIdentifier,
  Name,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
} from "@peculiar/asn1-x509";
import type { CertificateAuthority } from "./certificate-authority";
import { loadX509 } from "../x509";

/**
 * A CRL encoded in time linear in its entries. @peculiar/x509's generator checks every entry
 * against all before it, and asn1-schema spends 20 to 50 µs on each entry it encodes: a CRL of
 * 100,000 entries took minutes with the one and seconds with the other. Here asn1-schema still
 * writes every byte, but an entry is its output for an earlier entry of the same shape with the
 * serial and the date put in their place, and the list is joined under a header of its own, so an
 * entry costs a few microseconds and the encoding can stop between entries to let requests in.
 */

export { CRLReasons };

/** One line of the CRL: a revoked, unexpired certificate. */
export interface RevokedEntry {
  /** Lower-case hex, as the certificates table keeps it. */
  serialNumber: string;
  revokedAt: Date;
  /** Left out when the revocation had none to give: RFC 5280 says "unspecified" SHOULD NOT be sent. */
  reason?: CRLReasons;
}

/** Everything of a CRL but its entries and signature. */
export interface CrlFrame {
  /** The CA's subject, DER. */
  issuer: ArrayBuffer;
  thisUpdate: Date;
  nextUpdate: Date;
  extensions: Extension[];
}

/** What signs the CRL: its algorithm (named inside the signed part too) and the signature as the BIT STRING holds it. */
export interface CrlSigner {
  algorithm: AlgorithmIdentifier;
  sign(tbs: Uint8Array): Promise<ArrayBuffer>;
}

/** The serial as asn1-schema's INTEGER takes it: positive, with no leading zero octet but the one a high bit needs (as @peculiar/x509 does). */
export function serialOctets(hex: string): Buffer {
  let octets = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  let first = 0;
  while (first < octets.length - 1 && octets[first] === 0) first++;
  octets = octets.subarray(first);
  if (!octets.length) return Buffer.from([0]);
  return octets[0] > 0x7f ? Buffer.concat([Buffer.from([0]), octets]) : octets;
}

function reasonExtension(reason: CRLReasons): Extension {
  return new Extension({ extnID: id_ce_cRLReasons, critical: false, extnValue: new OctetString(AsnConvert.serialize(new CRLReason(reason))) });
}

/** asn1-schema's encoding of an entry, and where its serial's octets and its date lie in it. */
interface Template {
  der: Buffer;
  serialAt: number;
  timeAt: number;
}

/**
 * Entries as asn1-schema encodes them. DER writes each element as tag, length and contents, so
 * two entries whose serial octets, date encoding and reason have the same lengths differ only in
 * those octets: the first of each shape is asn1-schema's own output, the next ones are copies of
 * it with their serial and date written over. The unit tests hold the copies to asn1-schema's output.
 */
export class RevokedEntryEncoder {
  private readonly templates = new Map<string, Template | null>();
  private lastTime: { seconds: number; der: Buffer } | null = null;
  private lastDay: { day: number; der: Buffer | null } | null = null;

  encode(entry: RevokedEntry): Buffer {
    const serial = serialOctets(entry.serialNumber);
    const time = this.timeDer(entry.revokedAt);
    const shape = `${serial.length}/${time[0]}/${time.length}/${entry.reason ?? ""}`;
    let template = this.templates.get(shape);
    if (template === undefined) {
      template = templateFor(serial, entry.revokedAt, time, entry.reason);
      this.templates.set(shape, template);
    }
    if (!template) return serializeEntry(serial, entry.revokedAt, entry.reason);
    const der = Buffer.allocUnsafe(template.der.length);
    template.der.copy(der);
    serial.copy(der, template.serialAt);
    time.copy(der, template.timeAt);
    return der;
  }

  /**
   * X.509 times keep whole seconds, and asn1-schema spends 10 µs or more on each: the time of a
   * day's midnight is asn1-schema's, and a time that day is it with its hour, minute and second
   * digits written over the zeros (UTCTime and GeneralizedTime both end in "hhmmssZ" here, as
   * Time drops fractions). Entries come in date order, so one day's encoding serves many.
   */
  private timeDer(date: Date): Buffer {
    const seconds = Math.floor(date.getTime() / 1000);
    if (this.lastTime?.seconds === seconds) return this.lastTime.der;
    const day = Math.floor(seconds / DAY_SECONDS);
    if (this.lastDay?.day !== day) this.lastDay = { day, der: midnightDer(day) };
    let der: Buffer;
    if (this.lastDay.der) {
      der = Buffer.from(this.lastDay.der);
      const at = der.length - MIDNIGHT.length;
      const inDay = seconds - day * DAY_SECONDS;
      writeTwoDigits(der, at, Math.floor(inDay / 3600));
      writeTwoDigits(der, at + 2, Math.floor(inDay / 60) % 60);
      writeTwoDigits(der, at + 4, inDay % 60);
    } else {
      der = Buffer.from(AsnConvert.serialize(new Time(date)));
    }
    this.lastTime = { seconds, der };
    return der;
  }
}

const DAY_SECONDS = 86_400;
const MIDNIGHT = Buffer.from("000000Z", "latin1");

/** asn1-schema's encoding of the day's midnight, or null if it does not end in "000000Z" (then each time is encoded whole). */
function midnightDer(day: number): Buffer | null {
  const der = Buffer.from(AsnConvert.serialize(new Time(new Date(day * DAY_SECONDS * 1000))));
  return der.subarray(der.length - MIDNIGHT.length).equals(MIDNIGHT) ? der : null;
}

function writeTwoDigits(der: Buffer, at: number, value: number): void {
  der[at] = DIGIT_ZERO + Math.floor(value / 10);
  der[at + 1] = DIGIT_ZERO + (value % 10);
}

const DIGIT_ZERO = "0".charCodeAt(0);

function serializeEntry(serial: Buffer, revokedAt: Date, reason: CRLReasons | undefined): Buffer {
  const entry = new RevokedCertificate({ userCertificate: new Uint8Array(serial).buffer, revocationDate: new Time(revokedAt), crlEntryExtensions: reason ? [reasonExtension(reason)] : undefined });
  return Buffer.from(AsnConvert.serialize(entry));
}

/**
 * Encodes an entry of this shape with a probe serial of repeated 0x11 octets, which nothing else
 * in an entry can continue into the date's tag, and finds the serial and the date next to each
 * other. Null if they are not found once, exactly: then entries of this shape are encoded whole.
 */
function templateFor(serial: Buffer, revokedAt: Date, time: Buffer, reason: CRLReasons | undefined): Template | null {
  const probe = Buffer.alloc(serial.length, 0x11);
  const der = serializeEntry(probe, revokedAt, reason);
  const needle = Buffer.concat([probe, time]);
  const serialAt = der.indexOf(needle);
  if (serialAt < 0 || der.indexOf(needle, serialAt + 1) >= 0) return null;
  return { der, serialAt, timeAt: serialAt + serial.length };
}

/**
 * The identifier and length octets of a SEQUENCE whose contents are `length` octets long. X.690
 * gives every definite-length element the same length octets, so they are taken from asn1-schema's
 * encoding of an OCTET STRING that long, and its identifier from asn1-schema's encoding of a SEQUENCE.
 */
export function sequenceHeader(length: number): Buffer {
  const octetString = Buffer.from(AsnConvert.serialize(new OctetString(new ArrayBuffer(length))));
  const header = Buffer.from(octetString.subarray(0, octetString.length - length));
  header[0] = SEQUENCE_IDENTIFIER;
  return header;
}

const SEQUENCE_IDENTIFIER = Buffer.from(AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: "1.2" })))[0];

/** The contents of a SEQUENCE asn1-schema encoded: its header is the one sequenceHeader gives for their length. */
function contentsOf(der: Buffer): Buffer {
  for (let headerLength = 2; headerLength < 7; headerLength++) {
    if (sequenceHeader(der.length - headerLength).length === headerLength) return der.subarray(headerLength);
  }
  throw new RangeError("not a DER SEQUENCE");
}

/**
 * TBSCertList (RFC 5280 5.1.2) around encoded entries, in list order. asn1-schema encodes it
 * without entries; their SEQUENCE goes between nextUpdate and crlExtensions, and the outer
 * header is made for the new length. No entries: the list is left out, as RFC 5280 asks.
 */
export function tbsCertList(frame: CrlFrame, algorithm: AlgorithmIdentifier, entries: Buffer[]): Buffer {
  const fields = {
    version: Version.v2,
    signature: algorithm,
    issuer: AsnConvert.parse(frame.issuer, Name),
    thisUpdate: new Time(frame.thisUpdate),
    nextUpdate: new Time(frame.nextUpdate),
  };
  const whole = Buffer.from(AsnConvert.serialize(new TBSCertList({ ...fields, crlExtensions: frame.extensions.length ? frame.extensions : undefined })));
  if (!entries.length) return whole;
  const contents = contentsOf(whole);
  const head = contentsOf(Buffer.from(AsnConvert.serialize(new TBSCertList(fields))));
  if (!contents.subarray(0, head.length).equals(head)) throw new Error("asn1-schema encoded the fields of TBSCertList in an unexpected order");
  const list = entries.reduce((sum, entry) => sum + entry.length, 0);
  const listHeader = sequenceHeader(list);
  const tail = contents.subarray(head.length);
  return Buffer.concat([sequenceHeader(head.length + listHeader.length + list + tail.length), head, listHeader, ...entries, tail]);
}

/** CertificateList: the signed TBSCertList, the algorithm and the signature. */
export async function signCertificateList(tbs: Buffer, signer: CrlSigner): Promise<Buffer> {
  const signature = await signer.sign(tbs);
  // asn1-schema encodes the list with a stand-in for the signed part, which is then put in its place.
  const standInList = new TBSCertList({ thisUpdate: new Time(new Date(0)) });
  const standIn = Buffer.from(AsnConvert.serialize(standInList));
  const shell = contentsOf(Buffer.from(AsnConvert.serialize(new CertificateList({ tbsCertList: standInList, signatureAlgorithm: signer.algorithm, signature }))));
  if (!shell.subarray(0, standIn.length).equals(standIn)) throw new Error("asn1-schema encoded CertificateList in an unexpected order");
  const rest = shell.subarray(standIn.length);
  return Buffer.concat([sequenceHeader(tbs.length + rest.length), tbs, rest]);
}

/** A whole CRL at once: for tests and benchmarks; the publisher encodes its entries a slice at a time. */
export async function encodeCrl(frame: CrlFrame, signer: CrlSigner, entries: RevokedEntry[]): Promise<Buffer> {
  const encoder = new RevokedEntryEncoder();
  return signCertificateList(tbsCertList(frame, signer.algorithm, entries.map((entry) => encoder.encode(entry))), signer);
}

/** The frame of the CA's CRL: its name, the times, and its extensions (Authority Key Identifier, CRL number), as earlier versions wrote them. */
export function crlFrameFor(ca: Pick<CertificateAuthority, "certificate" | "keyId">, crl: { thisUpdate: Date; nextUpdate: Date; crlNumber: number }): CrlFrame {
  const authorityKeyId = new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(new Uint8Array(Buffer.from(ca.keyId, "hex")).buffer) });
  return {
    issuer: ca.certificate.subjectName.toArrayBuffer(),
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    extensions: [
      new Extension({ extnID: id_ce_authorityKeyIdentifier, critical: false, extnValue: new OctetString(AsnConvert.serialize(authorityKeyId)) }),
      // Unique and increasing across every instance sharing the database, as RFC 5280 5.2.3 wants.
      new Extension({ extnID: id_ce_cRLNumber, critical: false, extnValue: new OctetString(AsnConvert.serialize(new CRLNumber(crl.crlNumber))) }),
    ],
  };
}

/**
 * The CA's key as a CRL signer, with the algorithm identifier and signature encoding
 * @peculiar/x509 gives certificates and gave CRLs (an ECDSA signature as DER, RSA as it is).
 */
export async function crlSignerFor(ca: Pick<CertificateAuthority, "signingKey" | "signingAlgorithm">): Promise<CrlSigner> {
  const x509 = await loadX509();
  const algorithm = { ...ca.signingAlgorithm, ...ca.signingKey.algorithm };
  const ecdsa = new x509.AsnEcSignatureFormatter();
  return {
    algorithm: new x509.AlgorithmProvider().toAsnAlgorithm(algorithm),
    sign: async (tbs) => {
      const signature = await webcrypto.subtle.sign(algorithm, ca.signingKey, tbs);
      return ecdsa.toAsnSignature(algorithm, signature) ?? signature;
    },
  };
}
