import { Initial1764000000000 } from "./1764000000000-initial";
import { ApiKeys1764100000000 } from "./1764100000000-api-keys";
import { Scheduling1765000000000 } from "./1765000000000-scheduling";
import { AdminSecretKeys1766000000008 } from "./1766000000008-admin-secret-keys";
import { Certificates1766000000010 } from "./1766000000010-certificates";
import { Events1766000000020 } from "./1766000000020-events";
import { TokenIssuedAt1767000000000 } from "./1767000000000-token-issued-at";
import { CrlNumbers1767100000000 } from "./1767100000000-crl-numbers";
import { AccountVersion1767200000000 } from "./1767200000000-account-version";
import { AdminListingOrder1768000000000 } from "./1768000000000-admin-listing-order";
import { DomainNameGrams1768100000000 } from "./1768100000000-domain-name-grams";
import { AdminListingByStatus1768200000000 } from "./1768200000000-admin-listing-by-status";
import { DomainScope1769000000000 } from "./1769000000000-domain-scope";
import { DomainNameReversed1769100000000 } from "./1769100000000-domain-name-reversed";

/** Every migration, oldest first. Listed by hand so ts-jest, ts-node and compiled code load the same set. */
export const migrations = [
  Initial1764000000000,
  ApiKeys1764100000000,
  Scheduling1765000000000,
  AdminSecretKeys1766000000008,
  Certificates1766000000010,
  Events1766000000020,
  TokenIssuedAt1767000000000,
  CrlNumbers1767100000000,
  AccountVersion1767200000000,
  AdminListingOrder1768000000000,
  DomainNameGrams1768100000000,
  AdminListingByStatus1768200000000,
  DomainScope1769000000000,
  DomainNameReversed1769100000000,
];
