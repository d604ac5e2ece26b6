/** The network side of a vantage point: queries to exactly one server, through the one DNS client. */
import { lookup, type DnsLookupResult, type LookupType } from "./dns-client";
import type { QueryAllowance } from "./budget";
import type { Deadline } from "./deadline";
import type { DnsServerAddress } from "../../shared/dns-servers";
import type { QueryResult } from "../verifier";

export interface VantagePointLookup {
  /** How the vantage point is named in results and messages. */
  label: string;
  server: DnsServerAddress;
  /** Whether it is a resolver (asked with recursion) or a zone's own nameserver. */
  recursionDesired: boolean;
  /** The query budget this vantage point's queries count against, if any; the hint probes share it. */
  allowance?: QueryAllowance;
  /** Any question, with everything the client read of the reply. */
  lookup(host: string, type: LookupType): Promise<DnsLookupResult>;
  txt(host: string): Promise<QueryResult<string[]>>;
  cname(host: string): Promise<QueryResult<string>>;
  ns(host: string): Promise<QueryResult<string>>;
  ipv4(host: string): Promise<QueryResult<string>>;
  ipv6(host: string): Promise<QueryResult<string>>;
}

export interface VantagePointOptions {
  recursionDesired: boolean;
  /** DNS_RESOLVERS_VALIDATE, for resolvers; never set for a zone's own nameservers, which validate nothing. */
  validating: boolean;
  allowance?: QueryAllowance;
}

/** A client result as the verifier's QueryResult, with its DNSSEC evidence. */
export function queryResultOf<T>(result: DnsLookupResult, records: T[]): QueryResult<T> {
  const evidence = { dnssec: result.dnssec, extendedErrors: result.extendedErrors };
  if (result.answer === "RECORDS") return { ok: true, records, ...evidence };
  return { ok: false, failure: result.answer, code: result.code ?? result.answer, ...evidence };
}

export function openVantagePoint(server: DnsServerAddress, label: string, deadline: Deadline, options: VantagePointOptions): VantagePointLookup {
  const ask = (name: string, type: LookupType) =>
    lookup({ server, name, type, recursionDesired: options.recursionDesired, validating: options.validating, deadline, allowance: options.allowance });
  const values = (type: LookupType) => async (host: string) => {
    const result = await ask(host, type);
    return queryResultOf(result, result.values);
  };
  return {
    label,
    server,
    recursionDesired: options.recursionDesired,
    allowance: options.allowance,
    lookup: ask,
    txt: async (host) => {
      const result = await ask(host, "TXT");
      return queryResultOf(result, result.txtChunks);
    },
    cname: values("CNAME"),
    ns: values("NS"),
    ipv4: values("A"),
    ipv6: values("AAAA"),
  };
}
