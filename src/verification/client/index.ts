/**
 * The DNS verification engine: asks every vantage point for the claim's record and lets the
 * pure verifier decide. All network work of one verification shares one deadline.
 */
import dns from "node:dns";
import type { Clock } from "../../shared/clock";
import { QueryBudget } from "./budget";
import { Deadline } from "./deadline";
import { discoverNameservers } from "./nameservers";
import { gatherProbes } from "./probes";
import { recordHostOf } from "../records";
import { openVantagePoint, type VantagePointLookup } from "./resolver-lookup";
import { checkDnsQuorum, formatDnsServer, parseDnsServer, type DnsServerAddress } from "../../shared/dns-servers";
import { maxNameserversBounds, maxNameserversSetting } from "../../shared/config";
import type { DnsAnswer, DnssecStatus, DomainVerifier, VerificationCheckData, VerificationRequest } from "../types";
import type { DnssecPolicy } from "../dnssec";
import {
  canStillVerify,
  classifyVantagePoint,
  decideVerification,
  discoveryFailure,
  expectedRecords,
  majorityQuorum,
  type VantagePointKind,
  type QueryResult,
  type VantagePointObservation,
} from "../verifier";
import type { ProbeObservations } from "../hints";

/** One question to one server, with everything the reply said: what remote perspectives answer with. */
export { lookup, type DnsLookupResult, type LookupAnswer, type LookupRequest, type LookupType } from "./dns-client";
export { Deadline } from "./deadline";

export interface DomainVerifierOptions {
  /**
   * Resolvers: parsed (Config.dns.resolvers, which loadConfig checked), or as "ip", "ip:port",
   * "[ipv6]:port" or a bare IPv6 address; empty means dns.getServers().
   */
  servers: ReadonlyArray<DnsServerAddress | string>;
  /** Budget for a whole verification, discovery and hint probes included (DNS_TIMEOUT_MS). */
  timeoutMs: number;
  /** How many vantage points must agree (DNS_QUORUM); default a majority. In authoritative mode at most the nameserver count. */
  quorum?: number;
  /** "recursive" asks the resolvers; "authoritative" asks the zone's own nameservers, bypassing caches. */
  mode: "recursive" | "authoritative";
  /** Port the zone's nameservers are asked on in authoritative mode (DNS_AUTHORITATIVE_PORT). */
  authoritativePort: number;
  /** Ask nameservers at private, loopback or reserved addresses in authoritative mode; only for tests and closed networks. */
  allowPrivateNameservers?: boolean;
  /** How many nameserver addresses authoritative mode asks at most (DNS_MAX_NAMESERVERS); default: that variable's declared default. */
  maxNameservers?: number;
  /** Zone of CNAME targets, e.g. verify.dnsproof.dev. */
  cnameZone: string;
  /** Source of checkedAt and of the instants in hints. */
  clock: Clock;
  /**
   * DNS_RESOLVERS_VALIDATE: the resolvers validate DNSSEC and are reached over a trusted path, so
   * their AD bit is believed. In authoritative mode the resolvers are then also asked for the
   * record, and their status is the check's.
   */
  resolversValidate?: boolean;
  /** DNSSEC_POLICY; observe by default. */
  dnssecPolicy?: DnssecPolicy;
  /** Metrics hook: called once per vantage point per verification. */
  onLookup?: (event: { server: string; answer: DnsAnswer; dnssec: DnssecStatus; durationMs: number }) => void;
}

/**
 * The most DNS queries one verification sends in authoritative mode, discovery and hint probes
 * included: enough for discovery, 8 nameservers and their probes, and a bound on what a
 * claimant's NS records can make us send.
 */
export const MAX_QUERIES_PER_VERIFICATION = 100;
export const DEFAULT_MAX_NAMESERVERS = maxNameserversSetting.defaultValue;

export function createDomainVerifier(options: DomainVerifierOptions): DomainVerifier {
  const { resolvers, maxNameservers } = checkedOptions(options);
  if (options.dnssecPolicy === "require-secure" && !options.resolversValidate) {
    throw new RangeError("DNSSEC_POLICY=require-secure needs DNS_RESOLVERS_VALIDATE=true: without a trusted validating resolver nothing is SECURE");
  }

  async function verify(request: VerificationRequest): Promise<VerificationCheckData> {
    const deadline = new Deadline(options.timeoutMs);
    try {
      const started = performance.now();
      // Recursive mode asks only the configured resolvers, so it needs no budget.
      const budget = options.mode === "authoritative" ? new QueryBudget(MAX_QUERIES_PER_VERIFICATION) : null;
      const found = await vantagePointsFor(request, resolvers, options, { deadline, budget, maxNameservers });
      if (!found.ok) return discoveryFailure(request, found.reason, options.clock.now(), await found.validators);
      const { points, kind, notes } = found;
      const quorum = Math.min(options.quorum ?? majorityQuorum(points.length), points.length);
      const { observations, probes } = await observe(request, points, quorum, options, { deadline, started });
      if (budget && budget.denied > 0) {
        notes.push(`${budget.denied} more DNS queries were not sent: one verification sends at most ${budget.limit}, so hints may be incomplete.`);
      }
      const check = decideVerification({
        request,
        cnameZone: options.cnameZone,
        quorum,
        vantagePointKind: kind,
        timeoutMs: options.timeoutMs,
        observations,
        probes: probes ? await probes : null,
        now: options.clock.now(),
        dnssecPolicy: options.dnssecPolicy,
        validatedBy: await found.validators,
      });
      if (notes.length > 0) check.message = [check.message, ...notes].join(" ");
      reportLookups(check, options.onLookup);
      return check;
    } finally {
      deadline.finish();
    }
  }

  return { verify };
}

/** The options a verifier can run with, refused at start-up rather than at the first claim. */
function checkedOptions(options: DomainVerifierOptions): { resolvers: DnsServerAddress[]; maxNameservers: number } {
  const given = options.servers.length > 0 ? options.servers : dns.getServers();
  const resolvers = given.map((server) => (typeof server === "string" ? parseDnsServer(server) : server));
  if (resolvers.length === 0) throw new RangeError("No DNS servers configured and the system has none: set DNS_SERVERS");
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new RangeError(`DNS timeout must be a positive number of milliseconds, not ${options.timeoutMs}`);
  }
  checkDnsQuorum(options.quorum, options.mode, resolvers.length);
  if (!Number.isInteger(options.authoritativePort) || options.authoritativePort < 1 || options.authoritativePort > 65535) {
    throw new RangeError(`Not a port: ${options.authoritativePort}`);
  }
  const maxNameservers = options.maxNameservers ?? DEFAULT_MAX_NAMESERVERS;
  // The declared bounds of DNS_MAX_NAMESERVERS, which leave room in the query budget for the answers' own lookups.
  const { min, max } = maxNameserversBounds;
  if (!Number.isInteger(maxNameservers) || maxNameservers < min || maxNameservers > max || 2 * maxNameservers >= MAX_QUERIES_PER_VERIFICATION) {
    throw new RangeError(`The nameserver cap must be a whole number from ${min} to ${max}, not ${maxNameservers}`);
  }
  return { resolvers, maxNameservers };
}

/** `validators`: in authoritative mode with DNS_RESOLVERS_VALIDATE, what the resolvers answered for the record. */
type VantagePoints = (
  | { ok: true; points: VantagePointLookup[]; kind: VantagePointKind; notes: string[] }
  | { ok: false; reason: string }
) & { validators: Promise<VantagePointObservation[] | null> };

/** Who is asked: the configured resolvers, or in authoritative mode the zone's own nameservers, found through them. */
async function vantagePointsFor(
  request: VerificationRequest,
  resolvers: DnsServerAddress[],
  options: DomainVerifierOptions,
  run: { deadline: Deadline; budget: QueryBudget | null; maxNameservers: number },
): Promise<VantagePoints> {
  // Discovery leaves enough for a TXT and a CNAME query to every nameserver it may find.
  const discoveryShare = run.budget?.share(2 * run.maxNameservers);
  const validating = options.resolversValidate ?? false;
  const configured = resolvers.map((server) =>
    openVantagePoint(server, formatDnsServer(server), run.deadline, { recursionDesired: true, validating, allowance: discoveryShare }),
  );
  if (options.mode !== "authoritative") return { ok: true, points: configured, kind: "resolver", notes: [], validators: Promise.resolve(null) };
  // Asked while discovery runs: a zone's own nameservers validate nothing, so only the resolvers can vouch for it.
  const validators = validating ? askForRecord(request, configured, performance.now()) : Promise.resolve(null);
  const discovery = await discoverNameservers(request.name, configured, options.authoritativePort, {
    allowPrivate: options.allowPrivateNameservers ?? false,
    maxNameservers: run.maxNameservers,
  });
  if (!discovery.ok) {
    // A resolver that refused the zone's NS records as BOGUS has said all there is to say about the zone.
    const failed = discovery.failed;
    const bogus = failed?.result.dnssec === "BOGUS" ? [{ server: failed.by, txt: failed.result as QueryResult<string[]>, cname: failed.result, durationMs: 0 }] : null;
    return { ok: false, reason: discovery.reason, validators: validators.then((answers) => answers ?? bogus) };
  }
  const share = run.budget!.share();
  const points = discovery.nameservers.map((ns) =>
    openVantagePoint(ns.address, `${ns.name} (${ns.address.address})`, run.deadline, { recursionDesired: false, validating: false, allowance: share }),
  );
  return { ok: true, points, kind: "nameserver", notes: [...discovery.notes], validators };
}

/** Every point's TXT and CNAME answers for the record host, as the verifier reads them. */
function askForRecord(request: VerificationRequest, points: VantagePointLookup[], started: number): Promise<VantagePointObservation[]> {
  const host = recordHostOf(request);
  return Promise.all(
    points.map(async (point) => {
      const [txt, cname] = await Promise.all([point.txt(host), point.cname(host)]);
      return { server: point.label, txt, cname, durationMs: Math.round(performance.now() - started) };
    }),
  );
}

/**
 * Asks every vantage point for the TXT and CNAME record at once. The hint probes start as soon
 * as VERIFIED is out of reach, so they overlap slow vantage points.
 */
async function observe(
  request: VerificationRequest,
  points: VantagePointLookup[],
  quorum: number,
  options: DomainVerifierOptions,
  run: { deadline: Deadline; started: number },
): Promise<{ observations: VantagePointObservation[]; probes: Promise<ProbeObservations> | null }> {
  const host = recordHostOf(request);
  const expected = expectedRecords(request, options.cnameZone);
  let probes: Promise<ProbeObservations> | null = null;
  const answered: DnsAnswer[] = [];
  const observations = await Promise.all(
    points.map(async (point): Promise<VantagePointObservation> => {
      const [txt, cname] = await Promise.all([point.txt(host), point.cname(host)]);
      const observation = { server: point.label, txt, cname, durationMs: Math.round(performance.now() - run.started) };
      answered.push(classifyVantagePoint(observation, expected).answer);
      if (request.hints !== false && !canStillVerify(answered, points.length - answered.length, quorum)) {
        probes ??= gatherProbes(points, request.name, host);
      }
      return observation;
    }),
  );
  return { observations, probes };
}

function reportLookups(check: VerificationCheckData, onLookup: DomainVerifierOptions["onLookup"]): void {
  for (const { server, answer, dnssec, durationMs } of check.servers) {
    try {
      onLookup?.({ server, answer, dnssec, durationMs });
    } catch {
      // A failing metrics hook must not turn a finished verification into an error.
    }
  }
}
