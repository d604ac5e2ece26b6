/**
 * Just enough of the DNS message format (RFC 1035 §4) to read what c-ares does not hand out:
 * the authority section and record TTLs of a negative answer, which RFC 2308 negative caching needs.
 */

export const RecordType = { SOA: 6, TXT: 16 } as const;

export const Rcode = { NOERROR: 0, NXDOMAIN: 3 } as const;

export interface WireQuestion {
  name: string;
  type: number;
}

export interface WireRecord {
  /** Lower case, without the trailing dot. */
  name: string;
  type: number;
  ttl: number;
  rdataOffset: number;
  rdataLength: number;
}

export interface WireMessage {
  id: number;
  isResponse: boolean;
  truncated: boolean;
  rcode: number;
  questions: WireQuestion[];
  answers: WireRecord[];
  authority: WireRecord[];
  /** The whole message: compressed names in rdata point back into it. */
  bytes: Buffer;
}

export interface SoaData {
  primaryNameserver: string;
  hostmaster: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  /** The SOA MINIMUM field, which RFC 2308 made the negative-caching TTL. */
  minimum: number;
}

export class WireFormatError extends Error {}

export function encodeQuery(query: { id: number; name: string; type: number; recursionDesired: boolean }): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(query.recursionDesired ? 0x0100 : 0, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(query.type, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeName(query.name), tail]);
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".").filter((label) => label.length > 0);
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, "ascii");
    if (bytes.length > 63) throw new WireFormatError(`DNS label longer than 63 bytes in ${name}`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const encoded = Buffer.concat(parts);
  if (encoded.length > 255) throw new WireFormatError(`DNS name longer than 255 bytes: ${name}`);
  return encoded;
}

export function decodeMessage(bytes: Buffer): WireMessage {
  if (bytes.length < 12) throw new WireFormatError("DNS message shorter than its header");
  const flags = bytes.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((at) => bytes.readUInt16BE(at));
  let offset = 12;
  const questions: WireQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const name = decodeName(bytes, offset);
    offset = name.end;
    need(bytes, offset, 4);
    questions.push({ name: name.name, type: bytes.readUInt16BE(offset) });
    offset += 4;
  }
  const sections: WireRecord[][] = [[], []];
  for (let section = 0; section < 2; section++) {
    for (let i = 0; i < counts[section + 1]; i++) {
      const name = decodeName(bytes, offset);
      offset = name.end;
      need(bytes, offset, 10);
      const rdataLength = bytes.readUInt16BE(offset + 8);
      need(bytes, offset + 10, rdataLength);
      sections[section].push({
        name: name.name,
        type: bytes.readUInt16BE(offset),
        ttl: bytes.readUInt32BE(offset + 4),
        rdataOffset: offset + 10,
        rdataLength,
      });
      offset += 10 + rdataLength;
    }
  }
  return {
    id: bytes.readUInt16BE(0),
    isResponse: (flags & 0x8000) !== 0,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0x000f,
    questions,
    answers: sections[0],
    authority: sections[1],
    bytes,
  };
}

export function decodeSoa(message: WireMessage, record: WireRecord): SoaData {
  const primary = decodeName(message.bytes, record.rdataOffset);
  const hostmaster = decodeName(message.bytes, primary.end);
  const at = hostmaster.end;
  if (at + 20 > record.rdataOffset + record.rdataLength) throw new WireFormatError("SOA record data too short");
  const field = (i: number) => message.bytes.readUInt32BE(at + 4 * i);
  return {
    primaryNameserver: primary.name,
    hostmaster: hostmaster.name,
    serial: field(0),
    refresh: field(1),
    retry: field(2),
    expire: field(3),
    minimum: field(4),
  };
}

function decodeName(bytes: Buffer, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let offset = start;
  let end = -1;
  // Each compression pointer must go backwards, so a loop cannot last longer than the message.
  let jumps = 0;
  for (;;) {
    need(bytes, offset, 1);
    const length = bytes[offset];
    if ((length & 0xc0) === 0xc0) {
      need(bytes, offset, 2);
      const target = bytes.readUInt16BE(offset) & 0x3fff;
      if (end < 0) end = offset + 2;
      if (target >= offset || ++jumps > 127) throw new WireFormatError("bad DNS name compression pointer");
      offset = target;
      continue;
    }
    if (length > 63) throw new WireFormatError("bad DNS label length");
    if (length === 0) {
      if (end < 0) end = offset + 1;
      return { name: labels.join(".").toLowerCase(), end };
    }
    need(bytes, offset + 1, length);
    labels.push(bytes.toString("latin1", offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
}

function need(bytes: Buffer, offset: number, length: number): void {
  if (offset + length > bytes.length) throw new WireFormatError("DNS message cut short");
}
