/**
 * `npm run chaos` (`-- --short`, or CHAOS_SHORT=1: one pass with short faults, about two minutes):
 * two instances on a private MariaDB and Redis, BIND 9 and a webhook receiver, under mixed load;
 * each fault of faults.ts in turn; one table. Exits 1 when any check fails.
 */
import "reflect-metadata";
import { startLoad } from "./load";
import { FAULTS, printTable, runFault, violations, type FaultResult } from "./faults";
import { startWorld } from "./world";

export interface ChaosOptions {
  short: boolean;
  log?: (line: string) => void;
}

export async function runChaos(options: ChaosOptions): Promise<{ results: FaultResult[]; table: string; problems: string[]; requests: number }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const requestTimeoutMs = 3000;
  const holdMs = options.short ? 3000 : 12_000;
  const world = await startWorld({ instances: 2, requestTimeoutMs });
  try {
    const load = await startLoad(world, { accounts: options.short ? 4 : 6, thinkMs: 200 });
    const results: FaultResult[] = [];
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const fault of FAULTS) {
        log(`fault: ${fault.name}`);
        results.push(await runFault(world, load, fault, holdMs));
      }
    } finally {
      await load.stop();
    }
    const table = printTable(results, requestTimeoutMs);
    const summary = `${load.records.length} requests, ${load.acknowledged.length} claims acknowledged, ${load.verified.size} verified, ${world.receiver.received.length} webhook POSTs received, ${load.streamed.size} entries streamed to subscriptions`;
    log(`\n${table}\n\n${summary}`);
    return { results, table, problems: violations(results), requests: load.records.length };
  } finally {
    await world.stop();
  }
}

if (require.main === module) {
  const short = process.argv.includes("--short") || process.env.CHAOS_SHORT === "1";
  runChaos({ short }).then(
    ({ problems }) => {
      for (const problem of problems) console.error(`FAILED: ${problem}`);
      process.exit(problems.length > 0 ? 1 : 0);
    },
    (error) => {
      console.error(error);
      process.exit(2);
    },
  );
}
