/** The network side of a vantage point: c-ares queries to exactly one server, bounded by the shared deadline. */
import dns from "node:dns";
import { BUDGET_SPENT_CODE, type QueryAllowance } from "./budget";
import { Deadline, EXPIRED } from "./deadline";
import { formatDnsServer, type DnsServerAddress } from "../../shared/dns-servers";
import type { QueryFailure, QueryResult } from "../verifier";

export interface VantagePointLookup {
  /** How the vantage point is named in results and messages. */
  label: string;
  server: DnsServerAddress;
  /** The query budget this vantage point's queries count against, if any; raw-socket probes share it. */
  allowance?: QueryAllowance;
  txt(host: string): Promise<QueryResult<string[]>>;
  cname(host: string): Promise<QueryResult<string>>;
  ns(host: string): Promise<QueryResult<string>>;
  ipv4(host: string): Promise<QueryResult<string>>;
  ipv6(host: string): Promise<QueryResult<string>>;
}

/** c-ares error codes as vantage point answers; ECANCELLED only ever comes from our deadline. */
export function failureForErrorCode(code: string | undefined): QueryFailure {
  switch (code) {
    case "ENOTFOUND":
      return "NXDOMAIN";
    case "ENODATA":
      return "NODATA";
    case "ETIMEOUT":
    case "ECANCELLED":
      return "TIMEOUT";
    case "ESERVFAIL":
      return "SERVFAIL";
    case "EREFUSED":
      return "REFUSED";
    default:
      return "ERROR";
  }
}

const TIMED_OUT: QueryResult<never> = { ok: false, failure: "TIMEOUT", code: "ETIMEOUT" };
const NOT_SENT: QueryResult<never> = { ok: false, failure: "ERROR", code: BUDGET_SPENT_CODE };

/**
 * A resolver of its own per vantage point, so each is asked independently and a silent one
 * cannot delay the others through c-ares' server failover.
 */
export function openVantagePoint(server: DnsServerAddress, label: string, deadline: Deadline, allowance?: QueryAllowance): VantagePointLookup {
  const resolver = new dns.promises.Resolver({ timeout: Math.max(1, Math.ceil(deadline.remainingMs())), tries: 1 });
  resolver.setServers([formatDnsServer(server)]);
  deadline.onFinish(() => resolver.cancel());

  async function ask<T>(work: () => Promise<T[]>): Promise<QueryResult<T>> {
    if (deadline.expired) return TIMED_OUT;
    if (allowance && !allowance.take()) return NOT_SENT;
    const result = await deadline.race(
      work().then(
        (records): QueryResult<T> =>
          // c-ares returns no records rather than ENODATA for a TXT query answered only by a CNAME.
          records.length > 0 ? { ok: true, records } : { ok: false, failure: "NODATA", code: "ENODATA" },
        (error: NodeJS.ErrnoException): QueryResult<T> => ({
          ok: false,
          failure: failureForErrorCode(error.code),
          code: error.code ?? String(error),
        }),
      ),
    );
    return result === EXPIRED ? TIMED_OUT : result;
  }

  return {
    label,
    server,
    allowance,
    txt: (host) => ask(() => resolver.resolveTxt(host)),
    cname: (host) => ask(() => resolver.resolveCname(host)),
    ns: (host) => ask(() => resolver.resolveNs(host)),
    ipv4: (host) => ask(() => resolver.resolve4(host)),
    ipv6: (host) => ask(() => resolver.resolve6(host)),
  };
}
