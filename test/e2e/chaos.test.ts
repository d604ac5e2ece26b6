/**
 * `npm run chaos -- --short` under Jest, so CI runs it: one pass of every fault, held a few
 * seconds each, against two instances on a private MariaDB and Redis with BIND 9 and a webhook
 * receiver. Fails on any lost write, incomplete audit or delivery, revoked verified domain,
 * request past its deadline by more than a second, or INTERNAL_SERVER_ERROR.
 */
import { runChaos } from "../chaos/chaos";

it("keeps every promise through each fault of the chaos suite (short variant)", async () => {
  const lines: string[] = [];
  const { results, problems, requests } = await runChaos({ short: true, log: (line) => lines.push(line) });
  console.log(lines.join("\n"));
  expect(results).toHaveLength(10);
  expect(requests).toBeGreaterThan(100);
  expect(problems).toEqual([]);
}, 240_000);
