import { RecordType, Rcode, WireFormatError, decodeMessage, decodeSoa, encodeQuery } from "./wire";

/** A negative answer as BIND sends it: question, no answers, the zone's SOA in authority, names compressed. */
function negativeAnswer(): Buffer {
  const header = Buffer.from([0x12, 0x34, 0x84, 0x03, 0, 1, 0, 0, 0, 1, 0, 0]);
  const question = Buffer.concat([
    Buffer.from("\x02nx\x04acme\x04test\x00", "latin1"),
    Buffer.from([0, RecordType.TXT, 0, 1]),
  ]);
  // "acme.test" starts at offset 12 + 3 = 15.
  const owner = Buffer.from([0xc0, 15]);
  const rdata = Buffer.concat([
    Buffer.from("\x03ns1", "latin1"),
    Buffer.from([0xc0, 15]),
    Buffer.from("\x0ahostmaster", "latin1"),
    Buffer.from([0xc0, 15]),
    Buffer.from([0, 0, 0, 7, 0, 0, 0x0e, 0x10, 0, 0, 0x02, 0x58, 0, 1, 0x51, 0x80, 0, 0, 0, 30]),
  ]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(RecordType.SOA, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(30, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([header, question, owner, fixed, rdata]);
}

describe("DNS wire format", () => {
  it("encodes a query with or without recursion desired", () => {
    const query = encodeQuery({ id: 0xbeef, name: "_x.Acme.test.", type: RecordType.TXT, recursionDesired: true });
    expect(query.toString("hex")).toBe("beef01000001000000000000025f780441636d6504746573740000100001");
    expect(encodeQuery({ id: 1, name: "acme.test", type: RecordType.SOA, recursionDesired: false }).readUInt16BE(2)).toBe(0);
  });

  it("round-trips its own query", () => {
    const message = decodeMessage(encodeQuery({ id: 7, name: "a.b.c", type: RecordType.SOA, recursionDesired: true }));
    expect(message).toMatchObject({ id: 7, isResponse: false, rcode: 0, questions: [{ name: "a.b.c", type: RecordType.SOA }] });
  });

  it("reads a negative answer's authority SOA through compressed names", () => {
    const message = decodeMessage(negativeAnswer());
    expect(message).toMatchObject({ id: 0x1234, isResponse: true, truncated: false, rcode: Rcode.NXDOMAIN, answers: [] });
    expect(message.questions).toEqual([{ name: "nx.acme.test", type: RecordType.TXT }]);
    expect(message.authority).toHaveLength(1);
    expect(message.authority[0]).toMatchObject({ name: "acme.test", type: RecordType.SOA, ttl: 30 });
    expect(decodeSoa(message, message.authority[0])).toEqual({
      primaryNameserver: "ns1.acme.test",
      hostmaster: "hostmaster.acme.test",
      serial: 7,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 30,
    });
  });

  it("rejects labels and names that are too long", () => {
    expect(() => encodeQuery({ id: 1, name: `${"a".repeat(64)}.test`, type: 1, recursionDesired: true })).toThrow(WireFormatError);
    expect(() => encodeQuery({ id: 1, name: Array(60).fill("abcd").join("."), type: 1, recursionDesired: true })).toThrow(WireFormatError);
  });

  it("rejects truncated messages and compression loops instead of hanging", () => {
    const whole = negativeAnswer();
    expect(() => decodeMessage(whole.subarray(0, 8))).toThrow(WireFormatError);
    expect(() => decodeMessage(whole.subarray(0, whole.length - 5))).toThrow(WireFormatError);
    const loop = Buffer.concat([Buffer.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(() => decodeMessage(loop)).toThrow(WireFormatError);
  });
});
