import { Initial1764000000000 } from "./1764000000000-initial";
import { ApiKeys1764100000000 } from "./1764100000000-api-keys";
import { Scheduling1765000000000 } from "./1765000000000-scheduling";
import { Events1766000000000 } from "./1766000000000-events";

/** Every migration, oldest first. Listed by hand so ts-jest, ts-node and compiled code load the same set. */
export const migrations = [Initial1764000000000, ApiKeys1764100000000, Scheduling1765000000000, Events1766000000000];
