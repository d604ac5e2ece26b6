import * as dnsPacket from "dns-packet";
import { readReply } from "./dns-client";

/** A reply as a server would send it, encoded by dns-packet and decoded again, as the client receives it. */
function reply(fields: { rcode?: number; ad?: boolean; answers?: readonly dnsPacket.Answer[]; options?: readonly { code: number; data: Buffer }[]; opt?: boolean }) {
  const flags = (fields.ad ? dnsPacket.AUTHENTIC_DATA : 0) | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (fields.rcode ?? 0);
  const opt = {
    type: "OPT",
    name: ".",
    udpPayloadSize: 1232,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: dnsPacket.DNSSEC_OK,
    flag_do: true,
    options: [...(fields.options ?? [])],
  } as unknown as dnsPacket.Answer;
  const bytes = dnsPacket.encode({
    type: "response",
    id: 7,
    flags,
    questions: [{ name: "_dnsproof-verify.example.test", type: "TXT", class: "IN" }],
    answers: [...(fields.answers ?? [])],
    additionals: fields.opt === false ? [] : [opt],
  });
  return dnsPacket.decode(bytes);
}

const ede = (code: number, text = "") => ({ code: 15, data: Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(text, "utf8")]) });
const txt = (data: string[], ttl = 60): dnsPacket.Answer => ({ type: "TXT", name: "_dnsproof-verify.example.test", ttl, data });
const SERVFAIL = 2;
const NXDOMAIN = 3;
const REFUSED = 5;

describe("reading a reply", () => {
  it("reads TXT records in their chunks, joined, with the lowest TTL", () => {
    const read = readReply(reply({ answers: [txt(["dnsproof-", "verification=a"], 300), txt(["other"], 60)] }), "TXT", false, 3);
    expect(read).toMatchObject({ answer: "RECORDS", values: ["dnsproof-verification=a", "other"], ttl: 60, durationMs: 3, code: null });
    expect(read.txtChunks).toEqual([["dnsproof-", "verification=a"], ["other"]]);
  });

  it("keeps only the records of the asked type, as a TXT query at a CNAME answers with the chain", () => {
    const chain: dnsPacket.Answer = { type: "CNAME", name: "_dnsproof-verify.example.test", ttl: 60, data: "elsewhere.example.test" };
    expect(readReply(reply({ answers: [chain] }), "TXT", false, 1)).toMatchObject({ answer: "NODATA", values: [] });
    expect(readReply(reply({ answers: [chain] }), "CNAME", false, 1)).toMatchObject({ answer: "RECORDS", values: ["elsewhere.example.test"] });
  });

  it.each([
    [NXDOMAIN, "NXDOMAIN"],
    [SERVFAIL, "SERVFAIL"],
    [REFUSED, "REFUSED"],
    [4, "ERROR"],
  ])("maps rcode %i to %s", (rcode, answer) => {
    expect(readReply(reply({ rcode }), "TXT", false, 1)).toMatchObject({ answer, values: [], ttl: null });
  });

  it("reads Extended DNS Errors with their IANA names and EXTRA-TEXT, NUL padding dropped", () => {
    const read = readReply(reply({ rcode: SERVFAIL, options: [ede(9, "no DNSKEY for the DS\0"), ede(22), ede(4242, "?")] }), "TXT", false, 1);
    expect(read.extendedErrors).toEqual([
      { code: 9, name: "DNSKEY Missing", text: "no DNSKEY for the DS" },
      { code: 22, name: "No Reachable Authority", text: null },
      { code: 4242, name: "Unassigned (4242)", text: "?" },
    ]);
  });

  it("ignores other EDNS options and too-short EDE data", () => {
    const read = readReply(reply({ rcode: SERVFAIL, options: [{ code: 10, data: Buffer.alloc(8) }, { code: 15, data: Buffer.from([0]) }] }), "TXT", true, 1);
    expect(read.extendedErrors).toEqual([]);
    expect(read.dnssec).toBe("UNVALIDATED");
  });

  describe("DNSSEC status", () => {
    it.each([
      ["AD on an answer", { ad: true, answers: [txt(["x"])] }, "SECURE", "UNVALIDATED"],
      ["AD on NXDOMAIN", { ad: true, rcode: NXDOMAIN }, "SECURE", "UNVALIDATED"],
      ["no AD on an answer", { answers: [txt(["x"])] }, "INSECURE", "UNVALIDATED"],
      ["no AD on NXDOMAIN", { rcode: NXDOMAIN }, "INSECURE", "UNVALIDATED"],
      ["SERVFAIL with DNSSEC Bogus", { rcode: SERVFAIL, options: [ede(6)] }, "BOGUS", "BOGUS"],
      ["SERVFAIL with Signature Expired", { rcode: SERVFAIL, options: [ede(7)] }, "BOGUS", "BOGUS"],
      ["SERVFAIL with Unsupported DNSKEY Algorithm", { rcode: SERVFAIL, options: [ede(1)] }, "BOGUS", "BOGUS"],
      ["SERVFAIL without an EDE", { rcode: SERVFAIL }, "UNVALIDATED", "UNVALIDATED"],
      ["SERVFAIL with a non-DNSSEC EDE", { rcode: SERVFAIL, options: [ede(22)] }, "UNVALIDATED", "UNVALIDATED"],
      ["SERVFAIL with Forged Answer, which is policy, not DNSSEC", { rcode: SERVFAIL, options: [ede(4)] }, "UNVALIDATED", "UNVALIDATED"],
      ["REFUSED", { rcode: REFUSED }, "UNVALIDATED", "UNVALIDATED"],
      ["a NOERROR answer carrying a DNSSEC EDE (the resolver fell back to insecure)", { answers: [txt(["x"])], options: [ede(1)] }, "INSECURE", "UNVALIDATED"],
    ] as const)("%s: %s from a validating resolver, %s otherwise", (_, fields, validated, unvalidated) => {
      expect(readReply(reply(fields), "TXT", true, 1).dnssec).toBe(validated);
      expect(readReply(reply(fields), "TXT", false, 1).dnssec).toBe(unvalidated);
    });
  });
});
