/**
 * Reads how long a missing record stays missing in caches. c-ares hides the authority section and
 * TTLs, so these two queries go out as raw UDP messages to the same vantage point.
 */
import dgram from "node:dgram";
import { randomInt } from "node:crypto";
import type { QueryAllowance } from "./budget";
import { Deadline, EXPIRED } from "./deadline";
import type { NegativeCachingObservation } from "../hints";
import type { DnsServerAddress } from "../../shared/dns-servers";
import { Rcode, RecordType, decodeMessage, decodeSoa, encodeQuery, type SoaData, type WireMessage } from "./wire";

/**
 * Asks for TXT at `host`; a negative answer carries the zone's SOA whose TTL is what caches keep
 * the absence for (from a cache: what is left of it). A second query reads the SOA's own TTL.
 * Null when the answer is not negative or the server does not say.
 */
export async function observeNegativeCaching(
  server: DnsServerAddress,
  label: string,
  host: string,
  recursionDesired: boolean,
  deadline: Deadline,
  allowance?: QueryAllowance,
): Promise<NegativeCachingObservation | null> {
  const negative = await exchange(server, host, RecordType.TXT, recursionDesired, deadline, allowance);
  if (!negative || negative.answers.length > 0 || (negative.rcode !== Rcode.NXDOMAIN && negative.rcode !== Rcode.NOERROR)) {
    return null;
  }
  const soaRecord = negative.authority.find((record) => record.type === RecordType.SOA);
  if (!soaRecord) return null;
  let soa: SoaData;
  try {
    soa = decodeSoa(negative, soaRecord);
  } catch {
    return null;
  }
  const apex = await exchange(server, soaRecord.name, RecordType.SOA, recursionDesired, deadline, allowance);
  const apexSoa = apex?.answers.find((record) => record.type === RecordType.SOA && record.name === soaRecord.name);
  return {
    server: label,
    zone: soaRecord.name,
    soaTtl: apexSoa ? apexSoa.ttl : null,
    soaMinimum: soa.minimum,
    secondsLeft: soaRecord.ttl,
  };
}

/** One UDP query and its matching reply (same server, id and question), or null by the deadline. */
export async function exchange(
  server: DnsServerAddress,
  name: string,
  type: number,
  recursionDesired: boolean,
  deadline: Deadline,
  allowance?: QueryAllowance,
): Promise<WireMessage | null> {
  if (deadline.expired) return null;
  if (allowance && !allowance.take()) return null;
  const id = randomInt(0, 0x10000);
  let query: Buffer;
  try {
    query = encodeQuery({ id, name, type, recursionDesired });
  } catch {
    return null;
  }
  const socket = dgram.createSocket(server.family === 6 ? "udp6" : "udp4");
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      socket.close();
    }
  };
  deadline.onFinish(close);
  const reply = new Promise<WireMessage | null>((resolve) => {
    socket.on("error", () => resolve(null));
    socket.on("message", (bytes, from) => {
      if (from.port !== server.port || from.address !== server.address) return;
      let message: WireMessage;
      try {
        message = decodeMessage(bytes);
      } catch {
        return;
      }
      const question = message.questions[0];
      if (message.isResponse && message.id === id && question?.type === type && question.name === name.toLowerCase()) {
        resolve(message);
      }
    });
    socket.send(query, server.port, server.address, (error) => {
      if (error) resolve(null);
    });
  });
  const result = await deadline.race(reply);
  close();
  return result === EXPIRED ? null : result;
}
