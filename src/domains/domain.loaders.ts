import DataLoader from "dataloader";
import type { Domain } from "./domain.entity";
import type { DomainService } from "./domain.service";
import { Principal, canSeeDomain } from "../shared/principal";

/** Domains by id for this request's caller: other accounts' domains load as null. */
export function createDomainLoader(domains: DomainService, principal: Principal | null, batch = true) {
  return new DataLoader<string, Domain | null>(async (ids) => {
    const found = new Map((await domains.findByIds(ids)).map((d) => [d.id, d]));
    return ids.map((id) => {
      const domain = found.get(id);
      return domain && principal && canSeeDomain(principal, domain) ? domain : null;
    });
  }, { batch });
}

declare module "../graphql/context" {
  interface RequestLoaders {
    domainById: ReturnType<typeof createDomainLoader>;
  }
}
