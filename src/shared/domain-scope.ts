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

/**
 * `name` with its labels in reverse order (`api.example.com` → `com.example.api`), the spelling
 * stored beside the name so that the names under a domain share a prefix and an index serves them.
 */
export function reversedName(name: string): string {
  return name.split(".").reverse().join(".");
}

/**
 * The bounds, exclusive at both ends, of the reversed names strictly under `parent`: every one
 * starts with `<reversed parent>.`, and `/` is the character right after `.`. A range rather
 * than LIKE, so neither `_` nor `%` needs escaping and SQLite's index serves it as MariaDB's does.
 */
export function reversedRangeUnder(parent: string): { above: string; below: string } {
  const prefix = reversedName(parent);
  return { above: `${prefix}.`, below: `${prefix}/` };
}
