/**
 * The faults, one at a time, and what is checked after each: nothing acknowledged lost, audit
 * and deliveries complete, no verified domain revoked, no request past its deadline by more than
 * a second (requests sent to the faulted instance itself are counted apart: a load balancer
 * routes away from it), no INTERNAL_SERVER_ERROR; and the recovery time and what was served
 * meanwhile.
 */
import { mintToken } from "../../src/auth/dev-credentials";
import { TEST_JWT_SECRET } from "../support/test-app";
import type { Load, RequestRecord } from "./load";
import { ZONE, type Instance, type World } from "./world";

export interface Fault {
  name: string;
  inject(world: World): Promise<void> | void;
  heal(world: World): Promise<void> | void;
}

const victim = (world: World): Instance => world.instances[world.instances.length - 1];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const FAULTS: Fault[] = [
  { name: "MariaDB SIGSTOP, SIGCONT", inject: (w) => w.mariadb.pause(), heal: (w) => w.mariadb.resume() },
  { name: "Redis SIGSTOP, SIGCONT", inject: (w) => w.redis.pause(), heal: (w) => w.redis.resume() },
  { name: "BIND 9 SIGSTOP, SIGCONT", inject: (w) => w.named.pause(), heal: (w) => w.named.resume() },
  {
    name: "instance SIGSTOP, SIGCONT",
    inject(w) {
      victim(w).faulted = true;
      process.kill(victim(w).process.child.pid!, "SIGSTOP");
    },
    heal(w) {
      process.kill(victim(w).process.child.pid!, "SIGCONT");
      victim(w).faulted = false;
    },
  },
  { name: "MariaDB SIGKILL, restart", inject: (w) => w.mariadb.kill(), heal: (w) => w.mariadb.restart() },
  { name: "Redis SIGKILL, restart", inject: (w) => w.redis.kill(), heal: (w) => w.redis.restart() },
  { name: "BIND 9 SIGKILL, restart", inject: (w) => w.named.kill(), heal: (w) => w.named.restart() },
  {
    name: "instance SIGKILL, restart",
    async inject(w) {
      victim(w).faulted = true;
      victim(w).process.child.kill("SIGKILL");
      await victim(w).process.exited;
    },
    async heal(w) {
      await w.restartInstance(victim(w));
      victim(w).faulted = false;
    },
  },
  { name: "webhook receiver answers 500", inject: (w) => void (w.receiver.respond = () => 500), heal: (w) => void (w.receiver.respond = () => 200) },
  { name: "webhook receiver hangs", inject: (w) => void (w.receiver.hold = true), heal: (w) => void (w.receiver.hold = false) },
];

export interface FaultResult {
  fault: string;
  servedDuring: number;
  errorsByCode: Record<string, number>;
  worstMs: number;
  overDeadline: number;
  /** Requests sent to the stopped or killed instance itself, and the slowest of them. */
  toFaulted: { count: number; worstMs: number };
  recoveryMs: number | null;
  lost: number;
  auditMissing: number;
  deliveriesPending: number;
  revoked: number;
  internalErrors: number;
}

/** Injects `fault`, holds it `holdMs`, heals it, waits for recovery, checks. */
export async function runFault(world: World, load: Load, fault: Fault, holdMs: number): Promise<FaultResult> {
  const injectedAt = Date.now();
  await fault.inject(world);
  await sleep(holdMs);
  await fault.heal(world);
  const healedAt = Date.now();
  if (fault.name.startsWith("instance SIGKILL")) load.resubscribe();
  const recoveryMs = await recovery(world, healedAt);
  await sleep(1000);
  const window = load.records.filter((r) => r.startedAt >= injectedAt - world.requestTimeoutMs && r.startedAt <= Date.now());
  const checks = await consistency(world, load);
  return { fault: fault.name, ...figures(window, injectedAt, healedAt, world.requestTimeoutMs), recoveryMs, ...checks };
}

function figures(window: RequestRecord[], injectedAt: number, healedAt: number, timeoutMs: number) {
  const routed = window.filter((r) => !r.toFaulted);
  const during = window.filter((r) => r.startedAt >= injectedAt && r.startedAt <= healedAt);
  const errorsByCode: Record<string, number> = {};
  for (const r of during) if (r.code) errorsByCode[r.code] = (errorsByCode[r.code] ?? 0) + 1;
  const faulted = window.filter((r) => r.toFaulted);
  return {
    servedDuring: during.filter((r) => !r.code).length,
    errorsByCode,
    worstMs: Math.max(0, ...routed.map((r) => r.ms)),
    overDeadline: routed.filter((r) => r.ms > timeoutMs + 1000).length,
    toFaulted: { count: faulted.length, worstMs: Math.max(0, ...faulted.map((r) => r.ms)) },
    internalErrors: window.filter((r) => r.code === "INTERNAL_SERVER_ERROR").length,
  };
}

/** From the fault's end until a claim and a read succeed on every instance. */
async function recovery(world: World, healedAt: number): Promise<number | null> {
  const token = await mintToken(TEST_JWT_SECRET, { sub: "chaos-probe" });
  const serves = async (instance: Instance, n: number) => {
    const query = `mutation($name: String!) { claimDomain(input: { name: $name }) { domain { id } } } `;
    const response = await fetch(`${instance.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: { name: `probe-${n}-${Date.now().toString(36)}.probe.${ZONE}` } }),
      signal: AbortSignal.timeout(world.requestTimeoutMs + 1000),
    }).catch(() => null);
    const body: any = await response?.json().catch(() => null);
    return Boolean(body?.data?.claimDomain?.domain?.id);
  };
  const pending = new Set(world.instances);
  for (let n = 0; Date.now() - healedAt < 60_000; n++) {
    for (const instance of [...pending]) if (await serves(instance, n)) pending.delete(instance);
    if (pending.size === 0) return Date.now() - healedAt;
    await sleep(50);
  }
  return null;
}

/** What the database holds against what clients were told; deliveries are given up to a minute to finish. */
async function consistency(world: World, load: Load) {
  const sql = (statement: string) =>
    world.mariadb
      .sql(statement)
      .split("\n")
      .filter((line) => line.length > 0);
  const names = new Set(sql(`SELECT name FROM chaos.domains`));
  const claimedEntries = new Set(sql(`SELECT domainName FROM chaos.audit_entries WHERE action = 'DOMAIN_CLAIMED'`));
  const lost = load.acknowledged.filter((a) => !names.has(a.name)).length;
  const auditMissing = load.acknowledged.filter((a) => !claimedEntries.has(a.name)).length;
  const verifiedIds = [...load.verified];
  const revoked = verifiedIds.length === 0 ? 0 : Number(sql(`SELECT COUNT(*) FROM chaos.domains WHERE status <> 'VERIFIED' AND id IN (${verifiedIds.map((id) => `'${id}'`).join(",")})`)[0]);
  let deliveriesPending = Infinity;
  for (const started = Date.now(); Date.now() - started < 60_000; await sleep(250)) {
    deliveriesPending = Number(sql(`SELECT COUNT(*) FROM chaos.webhook_deliveries WHERE status <> 'DELIVERED'`)[0]);
    if (deliveriesPending === 0) break;
  }
  return { lost, auditMissing, deliveriesPending, revoked };
}

export function printTable(results: FaultResult[], requestTimeoutMs: number): string {
  const lines = [
    `| fault | served during | errors during (by code) | worst latency ms (deadline ${requestTimeoutMs}) | over deadline + 1 s | to the faulted instance (count, worst ms) | recovery ms | lost | audit missing | deliveries pending | revoked | INTERNAL_SERVER_ERROR |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.fault} | ${r.servedDuring} | ${Object.entries(r.errorsByCode)
          .map(([code, n]) => `${code} ${n}`)
          .join(", ") || "none"} | ${r.worstMs} | ${r.overDeadline} | ${r.toFaulted.count ? `${r.toFaulted.count}, ${r.toFaulted.worstMs}` : "-"} | ${r.recoveryMs ?? "not recovered"} | ${r.lost} | ${r.auditMissing} | ${r.deliveriesPending} | ${r.revoked} | ${r.internalErrors} |`,
    ),
  ];
  return lines.join("\n");
}

/** What must hold after every fault. */
export function violations(results: FaultResult[]): string[] {
  return results.flatMap((r) =>
    [
      r.lost > 0 && `${r.fault}: ${r.lost} acknowledged claims lost`,
      r.auditMissing > 0 && `${r.fault}: ${r.auditMissing} claims without their audit entry`,
      r.deliveriesPending > 0 && `${r.fault}: ${r.deliveriesPending} deliveries not delivered a minute after recovery`,
      r.revoked > 0 && `${r.fault}: ${r.revoked} verified domains lost their verification`,
      r.overDeadline > 0 && `${r.fault}: ${r.overDeadline} requests outlived the deadline by more than 1 s`,
      r.internalErrors > 0 && `${r.fault}: ${r.internalErrors} INTERNAL_SERVER_ERROR answers`,
      r.recoveryMs === null && `${r.fault}: not serving again within a minute`,
    ].filter((v): v is string => typeof v === "string"),
  );
}
