import { registerEnumType } from "type-graphql";

/**
 * How much of the DNS tree a claim covers. A leaf, as the statuses are: the verifier picks the
 * record host by it and the audit log may name it, and neither may import a feature.
 */
export enum DomainScope {
  EXACT = "EXACT",
  SUBTREE = "SUBTREE",
}

registerEnumType(DomainScope, {
  name: "DomainScope",
  description: "How much of the DNS tree a claim covers",
  valuesConfig: {
    EXACT: { description: "The name itself (record at _dnsproof-verify.<name>)" },
    SUBTREE: {
      description: "The name and every name under it (record at _dnsproof-subtree.<name>), except names another account has verified",
    },
  },
});

/** Whether `name` lies strictly under `parent` in the DNS tree (both ASCII, lower case, no trailing dot). */
export function isUnder(name: string, parent: string): boolean {
  return name.length > parent.length + 1 && name.endsWith(`.${parent}`);
}
