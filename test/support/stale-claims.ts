import mysql from "mysql2/promise";

const DAY = 86_400_000;

/** What seedStaleClaims writes, in claims. */
export interface StaleClaimsPlan {
  /** Eight hex digits naming the run: claim n's id is `<tag>-0000-7000-8000-<n, 12 digits>`, its name `s<n>.<tag>.stale.test`. */
  tag: string;
  /** EXPIRED (token ran out 40 days before `now`) and REVOKED (last changed 40 days before), alternately: cleanup deletes them. */
  stale: number;
  /** PENDING and FAILED claims whose token ran out 40 days before: cleanup expires them, then deletes them. */
  lapsedLongAgo: number;
  /** PENDING claims whose token ran out a day before: cleanup expires them and keeps them. */
  lapsedRecently: number;
  /** The claims are spread round-robin over this many accounts (staleAccountOf). */
  accounts: number;
  now: Date;
}

/** The account seedStaleClaims puts claim `n` in. */
export function staleAccountOf(tag: string, n: number, accounts: number): string {
  return `stale-${tag}-${n % accounts}`;
}

/** The id seedStaleClaims gives claim `n`. */
export function staleClaimId(tag: string, n: number): string {
  return `${tag}-0000-7000-8000-${String(n).padStart(12, "0")}`;
}

/**
 * Writes the plan's claims into the `domains` table of an already migrated MariaDB database,
 * with INSERT ... SELECT over MariaDB's SEQUENCE engine: no client loop, so half a million rows
 * take seconds. Ids sort in the order written (claim n's id ends in n, zero-padded).
 */
export async function seedStaleClaims(databaseUrl: string, plan: StaleClaimsPlan): Promise<void> {
  const connection = await mysql.createConnection({ uri: databaseUrl, timezone: "Z" });
  const ago = (ms: number) => new Date(plan.now.getTime() - ms);
  try {
    const kinds: { count: number; status: string; expires: Date; updated: Date }[] = [
      // Odd and even seq alternate between EXPIRED and REVOKED within one statement.
      { count: plan.stale, status: "IF(seq % 2, 'EXPIRED', 'REVOKED')", expires: ago(40 * DAY), updated: ago(40 * DAY) },
      { count: plan.lapsedLongAgo, status: "IF(seq % 2, 'PENDING', 'FAILED')", expires: ago(40 * DAY), updated: ago(70 * DAY) },
      { count: plan.lapsedRecently, status: "'PENDING'", expires: ago(DAY), updated: ago(31 * DAY) },
    ];
    let first = 0;
    for (const kind of kinds) {
      // At most a million rows per statement keeps every statement well inside the server's limits.
      for (let done = 0; done < kind.count; done += 1_000_000) {
        const count = Math.min(1_000_000, kind.count - done);
        const offset = first + done;
        await connection.query(
          `INSERT INTO domains (id, accountId, name, nameReversed, status, token, previousTokens, tokenIssuedAt, tokenExpiresAt, verifiedName, verifiedAt,
             lastCheckedAt, lastCheck, failingSince, nextCheckAt, leaseOwner, leaseExpiresAt, tokenExpiryWarnedAt, createdAt, updatedAt)
           SELECT CONCAT(?, '-0000-7000-8000-', LPAD(seq + ?, 12, '0')), CONCAT('stale-', ?, '-', (seq + ?) % ?), CONCAT('s', seq + ?, '.', ?, '.stale.test'), CONCAT('test.stale.', ?, '.s', seq + ?),
             ${kind.status}, SHA2(CONCAT(?, seq + ?), 256), '[]', ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?
           FROM seq_0_to_${count - 1}`,
          [plan.tag, offset, plan.tag, offset, plan.accounts, offset, plan.tag, plan.tag, offset, plan.tag, offset, ago(70 * DAY), kind.expires, ago(70 * DAY), kind.updated],
        );
      }
      first += kind.count;
    }
  } finally {
    await connection.end();
  }
}
