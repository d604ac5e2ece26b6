import type { Clock } from "../shared/clock";
import type { Database } from "../db/database";
import { defineModule } from "../graphql/feature-module";
import { Account } from "./account.entity";
import { Accounts } from "./accounts";
import { SqlAccountStore } from "./account.store";

export interface AccountsDeps {
  clock: Clock;
  db: Database;
}

/** The account row every per-account limit locks, made on an account's first change. */
export const accountsModule = defineModule({
  name: "accounts",
  entities: [Account],
  create: ({ clock, db }: AccountsDeps) => ({ provides: { accounts: new Accounts(new SqlAccountStore(db, clock), db) } }),
});
