/**
 * `npm run bench:profile`: where dnsproof's CPU goes on the frontends' read. Starts the built
 * server (dist/src/main.js, unbundled so frames name their files) with V8's CPU profiler, loads
 * it with wrk for PROFILE_SECONDS at N = PROFILE_FIRST, and prints the top functions by self
 * time, and the share per package. Loopback only; the load is bounded in time.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { mintToken } from "../../src/auth/dev-credentials";
import { createScratchDatabase } from "../support/databases";
import { CLAIM_DOMAIN, DOMAINS_WITH_AUDIT_LOG, REGENERATE_TOKEN } from "./operations";
import { JWT_SECRET, build, luaString, post, start, stop, wrk } from "./processes";

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const FIRST = Number(process.env.PROFILE_FIRST ?? 50);
const TOP = Number(process.env.PROFILE_TOP ?? 40);
/** V8 flags for the profiled server, e.g. "--max-semi-space-size=64", to try a setting against the default. */
const NODE_FLAGS = (process.env.PROFILE_NODE_FLAGS ?? "").split(" ").filter(Boolean);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self samples per function and per package (node_modules/<name>, dnsproof's own files, node: internals, GC). */
export function summarize(file: string, top = TOP): string {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as { nodes: ProfileNode[]; samples: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  for (const id of profile.samples) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.replace(/^file:\/\//, "");
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.includes("/dist/") ? "dnsproof" : where ? "node" : functionName);
    const fn = `${functionName || "(anonymous)"} ${path.basename(where)}:${lineNumber + 1} [${pkg}]`;
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + 1);
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const lines = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, count]) => `${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`);
  return [`${total} samples`, "by package:", ...lines(selfByPackage, 20), "", "by function (self):", ...lines(selfByFunction, top)].join("\n");
}

async function main() {
  build();
  const entry = [path.resolve(__dirname, "../../dist/src/main.js")];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dnsproof-profile-"));
  const database = await createScratchDatabase("mariadb");
  try {
    const seeder = await start("dnsproof", entry, database.url);
    const reader = await mintToken(JWT_SECRET, { sub: "bench-reader", email: "reader@example.com" });
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(JSON.parse(await post(seeder.url, CLAIM_DOMAIN, { name: `r${i}.reads.example.com` }, reader)).data.claimDomain.domain.id);
    for (let round = 1; round < 10; round++) await Promise.all(ids.map((id) => post(seeder.url, REGENERATE_TOKEN, { id }, reader)));
    await stop(seeder);
    const server = await start("dnsproof", [...NODE_FLAGS, "--cpu-prof", `--cpu-prof-dir=${dir}`, ...entry], database.url);
    const lua = `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = ${luaString(`Bearer ${reader}`)}
wrk.body = ${luaString(JSON.stringify({ query: DOMAINS_WITH_AUDIT_LOG, variables: { first: FIRST } }))}
`;
    wrk(server, lua, 3, 16);
    const figures = wrk(server, lua, SECONDS, 16);
    await stop(server);
    console.log(`N=${FIRST}: ${figures.perSecond.toFixed(0)} req/s, ${figures.cpuMsPerRequest.toFixed(2)} CPU ms/req, p99 ${figures.p99Ms.toFixed(0)} ms`);
    const file = fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!;
    console.log(`profile: ${path.join(dir, file)}\n`);
    console.log(summarize(path.join(dir, file)));
  } finally {
    await database.drop();
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
